import path from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { ErrorCode } from '@small-talk/protocol';
import { pino, type DestinationStream, type LoggerOptions } from 'pino';
import { accountRoutes } from './accounts/routes.js';
import { PasswordReset } from './accounts/password-reset.js';
import { Profile } from './accounts/profile.js';
import { EmailVerification } from './accounts/verification.js';
import { authRoutes } from './auth/routes.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { AuthService } from './auth/service.js';
import { Calls } from './calls/service.js';
import { Mailer } from './mail/mailer.js';
import { categoryRoutes } from './categories/routes.js';
import { Categories } from './categories/service.js';
import type { Config } from './config.js';
import { AppError, errorBody } from './errors.js';
import { Friendships } from './friends/friendships.js';
import { Presence } from './friends/presence.js';
import { friendRoutes } from './friends/routes.js';
import { Friends } from './friends/service.js';
import { ExpoSender } from './push/expo.js';
import { Push } from './push/notifier.js';
import { pushRoutes } from './push/routes.js';
import { PushTokens } from './push/tokens.js';
import { WebPushSender } from './push/web.js';
import { healthRoutes, metricsRoutes } from './health/routes.js';
import { requireBodyType } from './http/body-type.js';
import { clientAddress, proxyTrust } from './http/client-address.js';
import { crossSiteGuard } from './http/csrf.js';
import { securityHeaders } from './http/security-headers.js';
import { historyRoutes } from './history/routes.js';
import { iceRoutes } from './ice/routes.js';
import { History } from './history/service.js';
import { Fallbacks } from './matchmaking/fallback.js';
import { Matchmaking } from './matchmaking/service.js';
import { statsRoutes } from './stats/routes.js';
import { Stats } from './stats/service.js';
import { createMetrics } from './metrics/metrics.js';
import { AuditLog } from './moderation/audit.js';
import { caseRoutes } from './moderation/case-routes.js';
import { Cases } from './moderation/cases.js';
import { startEvidenceSweeper } from './moderation/retention.js';
import { UserPage } from './moderation/user-page.js';
import { Rooms } from './rooms/service.js';
import { createHandlers } from './signaling/handlers.js';
import { attachSignaling, type Signaling } from './signaling/server.js';
import type { MessageBus } from './storage/bus/bus.js';
import { MemoryMessageBus } from './storage/bus/memory.js';
import { RedisMessageBus } from './storage/bus/redis.js';
import { openDb, type Db } from './storage/db.js';
import { startSweeper } from './storage/sweep.js';
import { MemoryMatchStore } from './storage/match/memory.js';
import { RedisMatchStore } from './storage/match/redis.js';
import type { MatchStore } from './storage/match/store.js';
import { connectRedis, type RedisConnections } from './storage/redis.js';
import { inlineStyleHashes, webRoutes } from './web/routes.js';
import { blockRoutes } from './safety/block-routes.js';
import { Blocks } from './safety/blocks.js';
import { loadRules } from './safety/rules.js';
import { Evidence } from './safety/evidence.js';
import { Reports } from './safety/reports.js';
import { safetyRoutes } from './safety/routes.js';
import { AutoSuspension } from './safety/suspension.js';
import { Safety } from './safety/service.js';
import { Standing } from './safety/standing.js';
import { appealRoutes } from './moderation/appeal-routes.js';
import { Appeals } from './moderation/appeals.js';
import { decisionRoutes } from './moderation/decision-routes.js';
import { Decisions } from './moderation/decisions.js';
import { Notices } from './moderation/notices.js';
import { Roles } from './moderation/roles.js';

export interface SmallTalk {
  app: FastifyInstance;
  /** With METRICS_PORT: the listener that alone serves /metrics (main.ts listens it there). */
  metricsApp: FastifyInstance | null;
  db: Db;
  signaling: Signaling;
  /** Stops taking users: /healthz turns 503 and every socket is closed with 1012 (rooms keep their grace). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Secrets never reach the logs: credentials in headers, bodies with passwords, signal payloads
 * (SDP carries IPs), TURN credentials and the secret that signs them.
 */
const redact: LoggerOptions['redact'] = {
  paths: [
    'req.headers.authorization',
    'req.headers.cookie',
    'res.headers["set-cookie"]',
    'password',
    '*.password',
    'token',
    '*.token',
    'data',
    '*.data',
    'iceServers',
    '*.iceServers',
    'credential',
    '*.credential',
    'TURN_SECRET',
    '*.TURN_SECRET',
  ],
  censor: '[redacted]',
};

/** The error code of a 4xx that is not ours (Fastify's, a plugin's), by its status. */
const clientErrorCodes: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** Builds the whole server without listening, so tests can start it on any port. */
export async function buildApp(
  config: Config,
  /** `logStream`: where log lines go (main.ts: readable lines for a terminal); stdout as JSON by default. */
  options: { logStream?: DestinationStream } = {},
): Promise<SmallTalk> {
  const log = options.logStream
    ? pino({ level: config.LOG_LEVEL, redact }, options.logStream)
    : pino({ level: config.LOG_LEVEL, redact });
  if (config.TURN_URLS.length === 0) {
    log.warn(
      "no TURN server configured (TURN_URLS): strangers in a call will see each other's IP addresses. Set TURN_URLS and TURN_SECRET to relay their calls (docs/deploy.md)",
    );
  }
  // Read before anything is opened: a bad rules file stops the start with no connection left behind.
  const rules = loadRules(config.rulesFile, config.MIN_AGE);
  const db = await openDb({
    dataDir: config.dataDir,
    databaseUrl: config.DATABASE_URL,
    onError: (error) => log.warn({ err: error }, 'database connection lost'),
  });
  const trust = proxyTrust(config.TRUST_PROXY);
  const app = Fastify({
    // Fastify's logger type is narrower than pino's; the instance is the same.
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: 16 * 1024,
    // DELETE /api/me/push-tokens/:token carries a web push subscription's JSON, URL-encoded.
    routerOptions: { maxParamLength: 16 * 1024 },
    // X-Forwarded-For/-Proto are believed from TRUST_PROXY's proxies only (request.ip, request.protocol);
    // from anyone else they are the client's to forge.
    trustProxy: config.TRUST_PROXY.length > 0 ? trust : false,
    return503OnClosing: true,
    // A URL Fastify cannot decode (`/a%ZZ`) is the client's mistake: our error shape, not Fastify's.
    frameworkErrors: (error, _request, reply) => {
      metrics.error('bad_request');
      void (reply as FastifyReply).code(400).send(errorBody('bad_request', error.message));
    },
  });

  // With REDIS_URL, the queue, the rooms and frame delivery are shared by every process on that
  // Redis; without, they live in this process alone.
  const matchOptions = { rematchCooldownMs: config.REMATCH_COOLDOWN_S * 1000 };
  let redis: RedisConnections | null = null;
  let store: MatchStore;
  let bus: MessageBus;
  let memoryStore: MemoryMatchStore | null = null;
  let redisBus: RedisMessageBus | null = null;
  let redisStore: RedisMatchStore | null = null;
  if (config.REDIS_URL) {
    try {
      redis = await connectRedis(config.REDIS_URL, config.REDIS_PREFIX, log);
    } catch (error) {
      await db.close();
      throw error;
    }
    redisBus = new RedisMessageBus(redis, {
      holdLimit: config.RESUME_BUFFER_FRAMES,
      graceMs: config.RESUME_GRACE_MS,
      log,
    });
    redisStore = new RedisMatchStore(redis.commands, redis.prefix, redisBus.processId, matchOptions);
    store = redisStore;
    bus = redisBus;
  } else {
    store = memoryStore = new MemoryMatchStore(matchOptions);
    bus = new MemoryMessageBus(config.RESUME_BUFFER_FRAMES);
  }
  const cases = new Cases(db.kysely);
  const metrics = createMetrics(store, () => cases.backlog());
  const auth = new AuthService(
    db.kysely,
    config.SESSION_TTL_DAYS * 24 * 60 * 60 * 1000,
    new LoginThrottle(db.kysely),
    config.RESERVED_NAMES,
  );
  const standing = new Standing(db.kysely);
  const safety = new Safety(
    standing,
    { ...rules, contactEmail: config.CONTACT_EMAIL ?? null },
    metrics,
    config.REQUIRE_VERIFIED_EMAIL,
  );
  const categories = await Categories.load(db.kysely, store);
  const history = new History(db.kysely);
  const rooms = new Rooms(
    store,
    bus,
    history,
    metrics,
    {
      graceMs: config.RESUME_GRACE_MS,
      icePolicy: { strangers: config.strangerIcePolicy, friends: config.friendIcePolicy },
    },
    log,
  );
  const friendships = new Friendships(db.kysely);
  const presence = new Presence(bus, store, friendships, log);
  // Friends asks Blocks who may reach whom, and Blocks ends friendships: the check is bound late.
  const pushTokens = new PushTokens(db.kysely);
  const vapid =
    config.VAPID_PUBLIC_KEY && config.VAPID_PRIVATE_KEY && config.VAPID_SUBJECT
      ? { publicKey: config.VAPID_PUBLIC_KEY, privateKey: config.VAPID_PRIVATE_KEY, subject: config.VAPID_SUBJECT }
      : null;
  if (config.PUSH_ENABLED && !vapid)
    log.warn(
      "no VAPID keys (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT): the web app's push subscriptions are skipped; phones are still woken",
    );
  const push = new Push(
    pushTokens,
    new ExpoSender(config.EXPO_PUSH_URL, config.EXPO_ACCESS_TOKEN),
    vapid && new WebPushSender(vapid),
    { enabled: config.PUSH_ENABLED, receiptDelayMs: config.PUSH_RECEIPT_DELAY_MS },
    log.child({ part: 'push' }),
  );
  const friends = new Friends(
    friendships,
    presence,
    bus,
    (a, b): Promise<boolean> => blocks.between(a, b),
    (request) => push.friendRequest(request),
  );
  const blocks = new Blocks(db.kysely, store, rooms, friends, metrics);
  const matchmaking = new Matchmaking(store, categories, metrics, (userId) => blocks.keepApart(userId));
  // The match store's copy of everyone's blocks is in Redis; one back from an outage may have lost
  // it, so every user's next join reads the database again.
  redis?.commands.on('ready', () => blocks.forgetReads());
  const calls = new Calls(store, bus, friends, rooms, metrics, { ringTimeoutMs: config.RING_TIMEOUT_MS }, log, push);
  const fallbacks = new Fallbacks(config.FALLBACK_AFTER_MS);
  const stats = new Stats(bus, store);
  rooms.onPresenceChange((userIds) => presence.changed(userIds));
  const notices = new Notices(db.kysely, bus);
  const suspension = new AutoSuspension(
    db.kysely,
    store,
    bus,
    (userId) => rooms.endRoomOf(userId),
    metrics,
    { reporters: config.AUTO_SUSPEND_REPORTERS, windowH: config.AUTO_SUSPEND_WINDOW_H, dialect: db.dialect },
    notices,
  );
  const reports = new Reports(
    db.kysely,
    {
      // A report blocks and ends the call between the two at once; enough reports suspend.
      block: async (reporterId, reportedId) => {
        await blocks.add(reporterId, reportedId);
        await rooms.endRoomOf(reporterId, reportedId); // Blocks.add ends it already; a report promises it regardless
      },
      reported: async (reportedId, now) => {
        await suspension.check(reportedId, now);
      },
    },
    metrics,
    { windowDays: config.REPORT_WINDOW_DAYS, perDay: config.REPORTS_PER_DAY },
  );
  const evidence = new Evidence(db.kysely, reports);
  const roles = new Roles(db.kysely);
  const decisions = new Decisions({
    db: db.kysely,
    dialect: db.dialect,
    auth,
    notices,
    store,
    bus,
    endRoomOf: (userId) => rooms.endRoomOf(userId),
    metrics,
  });
  const appeals = new Appeals(db.kysely, db.dialect, notices, metrics);
  const mailer = new Mailer({
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    mailDir: path.join(config.dataDir, 'mail'),
    log: log.child({ part: 'mail' }),
  });
  const verification = new EmailVerification(db.kysely, mailer, config.publicUrl);
  const passwordReset = new PasswordReset({ db: db.kysely, auth, mailer, bus, publicUrl: config.publicUrl });
  presence.onChange(
    (userId, now) =>
      void calls
        .presenceChanged(userId, now)
        .catch((error: unknown) => log.warn({ err: error, userId }, 'could not end a ring')),
  );
  // One process alone: a restart (SIGTERM, then start again on the same port) keeps calls' rooms
  // in a file (see saveRooms). With Redis they are in Redis, and any process picks them up.
  const roomsFile = path.join(config.dataDir, `rooms-${config.PORT}.json`);
  if (memoryStore) {
    const restored = memoryStore.loadRooms(roomsFile);
    rooms.adopt(restored);
    if (restored.length > 0) log.info({ rooms: restored.length }, 'rooms restored from the last run');
  }
  if (redisBus && redisStore) {
    const clusterStore = redisStore;
    // A process died: its queue entries go, and its users in rooms get the grace to come back.
    redisBus.onProcessLost(async (processId, userIds) => {
      const dropped = await clusterStore.dropQueuedOf(processId);
      log.info({ processId, dropped, users: userIds.length }, 'reclaimed a lost process');
      await rooms.lost(userIds);
    });
    redisBus.onAbsenceDue((userId) => rooms.expire(userId));
    await redisBus.start();
  }
  let draining = false;

  // A POST with a JSON content type and no body (logout, as many HTTP clients send it) is no body,
  // not a syntax error; schemas then decide whether a body was needed.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new AppError('bad_request', 'body is not valid JSON'), undefined);
    }
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof AppError) {
      metrics.error(error.code);
      return reply.code(error.status).send(errorBody(error.code, error.message));
    }
    // A 4xx from Fastify or a plugin (a static path it refuses, a body it cannot parse) is the
    // client's mistake: it keeps its status, gets our shape, and is no error of ours to log.
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = clientErrorCodes[status] ?? 'bad_request';
      metrics.error(code);
      return reply.code(status).send(errorBody(code, (error as Error).message));
    }
    request.log.error({ err: error }, 'request failed');
    metrics.error('internal');
    return reply.code(500).send(errorBody('internal', 'something went wrong on the server'));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?', 1)[0]}`));
  });

  // Before every route: the headers go on every page, asset, API answer and error.
  await securityHeaders(app, { inlineStyleHashes: inlineStyleHashes(config.webDir) });
  // Where a request comes from first (403), then what its body is (415): both before any route reads it.
  app.addHook('onRequest', crossSiteGuard({ allowedOrigins: config.ALLOWED_ORIGINS, publicUrl: config.PUBLIC_URL }));
  app.addHook('onRequest', requireBodyType);

  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `too many requests from this address; retry in ${context.after}`),
  });
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
    auth,
    verification,
    passwordReset,
    profile: new Profile(db.kysely, auth),
    ownUser: (user) => safety.ownUser(user),
    rateLimitPerMin: config.AUTH_RATE_LIMIT_PER_MIN,
    sessionTtlMs: config.SESSION_TTL_DAYS * 24 * 60 * 60 * 1000,
    secureCookie: config.secureCookie,
  });
  await app.register(categoryRoutes, { categories });
  await app.register(statsRoutes, { stats });
  await app.register(historyRoutes, { auth, history });
  await app.register(friendRoutes, { auth, friends, mayMeet: (userId) => safety.mayMeet(userId) });
  await app.register(blockRoutes, { auth, blocks });
  await app.register(pushRoutes, {
    auth,
    tokens: pushTokens,
    webPushKey: config.PUSH_ENABLED && vapid ? vapid.publicKey : null,
  });
  await app.register(safetyRoutes, { auth, safety, reports, evidence });
  await app.register(decisionRoutes, { auth, roles, decisions });
  await app.register(appealRoutes, { auth, notices, appeals });
  await app.register(caseRoutes, {
    auth,
    cases,
    userPage: new UserPage(db.kysely, standing, history),
    audit: new AuditLog(db.kysely),
  });
  await app.register(iceRoutes, {
    auth,
    ice: {
      stunUrls: config.STUN_URLS,
      turnUrls: config.TURN_URLS,
      turnSecret: config.TURN_SECRET,
      ttlS: config.TURN_TTL_S,
      policy: config.ICE_TRANSPORT_POLICY,
    },
  });
  await app.register(healthRoutes, {
    check: async () => {
      await db.ping();
      await redis?.ping();
    },
    draining: () => draining,
  });
  // /metrics on PORT, or, with METRICS_PORT, on a listener of its own and not on PORT at all.
  const metricsOptions = {
    metrics: () => metrics.registry.metrics(),
    metricsContentType: metrics.registry.contentType,
    token: config.METRICS_TOKEN,
  };
  let metricsApp: FastifyInstance | null = null;
  if (config.METRICS_PORT === undefined) {
    await app.register(metricsRoutes, { ...metricsOptions, ownPort: false });
  } else {
    metricsApp = Fastify({ loggerInstance: log as FastifyBaseLogger });
    metricsApp.setErrorHandler((error, _request, reply) => {
      const status = error instanceof AppError ? error.status : 500;
      if (status >= 500) log.error({ err: error }, 'metrics request failed');
      return reply
        .code(status)
        .send(
          error instanceof AppError
            ? errorBody(error.code, error.message)
            : errorBody('internal', 'something went wrong on the server'),
        );
    });
    metricsApp.setNotFoundHandler((_request, reply) =>
      reply.code(404).send(errorBody('not_found', 'this port serves GET /metrics only')),
    );
    await metricsApp.register(metricsRoutes, { ...metricsOptions, ownPort: true });
  }

  await app.register(webRoutes, { webDir: config.webDir });

  const signaling = attachSignaling(app.server, {
    auth,
    rooms,
    handlers: createHandlers({ matchmaking, rooms, calls, mayMeet: (userId) => safety.mayMeet(userId), fallbacks }),
    // The welcome's user, and the user's blocks given to the match store beside it, so that its
    // joins need not read them.
    ownUser: async (user) => (await Promise.all([safety.ownUser(user), blocks.keepApart(user.id)]))[0],
    metrics,
    log,
    // PUBLIC_URL's origin is ours, as for HTTP (crossSiteGuard), even when a proxy rewrites Host.
    allowedOrigins: config.PUBLIC_URL
      ? [...config.ALLOWED_ORIGINS, new URL(config.PUBLIC_URL).origin]
      : config.ALLOWED_ORIGINS,
    addressOf: (request) => clientAddress(request, trust),
    maxSocketsPerAddress: config.MAX_SOCKETS_PER_ADDRESS,
    heartbeatMs: config.HEARTBEAT_MS,
    rateLimit: {
      perSecond: config.WS_RATE_LIMIT,
      bytesPerSecond: config.WS_BYTES_PER_S,
      floodCloseMs: config.WS_FLOOD_CLOSE_MS,
    },
  });

  // Expired sessions and stale guests go once a day, swept by one process of the cluster.
  const sweeper = startSweeper(db.kysely, {
    swept: (result) => log.info(result, 'swept expired sessions and stale guests'),
    failed: (error) => log.warn({ err: error }, 'sweep failed; the next hour tries again'),
  });
  // Evidence past its retention goes, swept by one process of the cluster per check.
  const evidenceSweeper = startEvidenceSweeper(
    db.kysely,
    { retentionDays: config.EVIDENCE_RETENTION_DAYS, checkMs: config.EVIDENCE_SWEEP_CHECK_MS },
    {
      swept: (deleted, leaseAt) =>
        log.info({ evidence: deleted, leaseAt: leaseAt.toISOString() }, 'swept evidence past its retention'),
      failed: (error) => log.warn({ err: error }, 'evidence sweep failed; the next check tries again'),
    },
  );

  const drain = async () => {
    draining = true;
    const started = Date.now();
    await Promise.race([
      signaling.closeAll(1012, 'server restarting: reconnect'),
      new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_GRACE_MS).unref()),
    ]);
    // In a cluster the users just closed reconnect to other processes: stay until each has taken
    // over what we held for it (or its grace ended), so calls continue with no frame lost.
    const left = config.SHUTDOWN_GRACE_MS - (Date.now() - started);
    await bus.settle(Math.min(Math.max(left, 0), config.RESUME_GRACE_MS));
  };

  return {
    app,
    metricsApp,
    db,
    signaling,
    drain,
    async close() {
      if (!draining) await drain();
      rooms.stop();
      calls.stop();
      push.stop();
      fallbacks.stop();
      if (memoryStore && config.PORT !== 0) {
        const saved = memoryStore.saveRooms(roomsFile);
        if (saved > 0) log.info({ rooms: saved }, 'rooms saved for the next run');
      }
      await sweeper.stop();
      await evidenceSweeper.stop();
      await app.close();
      // After the routes stop: no new mail is queued while those waiting for a retry are dropped.
      await mailer.close();
      await metricsApp?.close();
      await bus.close();
      await redis?.close();
      await db.close();
    },
  };
}
