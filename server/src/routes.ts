import type { FastifyInstance } from 'fastify';
import { accountRoutes } from './accounts/routes.js';
import { authenticateRequests } from './auth/principal.js';
import { authRoutes } from './auth/routes.js';
import { categoryRoutes } from './categories/routes.js';
import type { Config } from './config.js';
import { friendRoutes } from './friends/routes.js';
import { historyRoutes } from './history/routes.js';
import { iceRoutes } from './ice/routes.js';
import { appealRoutes } from './moderation/appeal-routes.js';
import { AuditLog } from './moderation/audit.js';
import { caseRoutes } from './moderation/case-routes.js';
import { decisionRoutes } from './moderation/decision-routes.js';
import { UserPage } from './moderation/user-page.js';
import { pushRoutes } from './push/routes.js';
import { blockRoutes } from './safety/block-routes.js';
import { safetyRoutes } from './safety/routes.js';
import type { Services } from './services.js';
import { statsRoutes } from './stats/routes.js';
import type { Db } from './storage/db.js';

/** Every API route, each feature a plugin given the services it calls. */
export async function apiRoutes(app: FastifyInstance, config: Config, db: Db, services: Services): Promise<void> {
  const {
    auth,
    safety,
    verification,
    passwordReset,
    profile,
    categories,
    stats,
    history,
    friends,
    blocks,
    pushTokens,
    vapid,
  } = services;
  const { reports, evidence, roles, decisions, notices, appeals, cases, standing } = services;
  // Before every route: reads the session of those that declare which principal they need.
  authenticateRequests(app, auth);
  await app.register(authRoutes, {
    auth,
    ownUser: (user) => safety.ownUser(user),
    guestRateLimitPerMin: config.GUEST_RATE_LIMIT_PER_MIN,
    authRateLimitPerMin: config.AUTH_RATE_LIMIT_PER_MIN,
    sessionTtlMs: config.SESSION_TTL_DAYS * 24 * 60 * 60 * 1000,
    secureCookie: config.secureCookie,
    registered: (userId) => verification.start(userId),
  });
  await app.register(accountRoutes, {
    verification,
    passwordReset,
    profile,
    ownUser: (user) => safety.ownUser(user),
    rateLimitPerMin: config.AUTH_RATE_LIMIT_PER_MIN,
    sessionTtlMs: config.SESSION_TTL_DAYS * 24 * 60 * 60 * 1000,
    secureCookie: config.secureCookie,
  });
  await app.register(categoryRoutes, { categories });
  await app.register(statsRoutes, { stats });
  await app.register(historyRoutes, { history });
  await app.register(friendRoutes, { friends, mayMeet: (userId) => safety.mayMeet(userId) });
  await app.register(blockRoutes, { blocks });
  await app.register(pushRoutes, {
    tokens: pushTokens,
    webPushKey: config.PUSH_ENABLED && vapid ? vapid.publicKey : null,
  });
  await app.register(safetyRoutes, { safety, reports, evidence });
  await app.register(decisionRoutes, { roles, decisions });
  await app.register(appealRoutes, { notices, appeals });
  await app.register(caseRoutes, {
    cases,
    userPage: new UserPage(db.kysely, standing, history),
    audit: new AuditLog(db.kysely),
  });
  await app.register(iceRoutes, {
    ice: {
      stunUrls: config.STUN_URLS,
      turnUrls: config.TURN_URLS,
      turnSecret: config.TURN_SECRET,
      ttlS: config.TURN_TTL_S,
      policy: config.ICE_TRANSPORT_POLICY,
    },
  });
}
