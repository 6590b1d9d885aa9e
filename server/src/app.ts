import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { serveMetrics } from './health/metrics-listener.js';
import { healthRoutes } from './health/routes.js';
import { clientAddress, proxyTrust } from './http/client-address.js';
import { createHttpServer } from './http/server.js';
import { createLogger } from './logging/logger.js';
import { startEvidenceSweeper } from './moderation/retention.js';
import { apiRoutes } from './routes.js';
import { loadRules } from './safety/rules.js';
import { createServices } from './services.js';
import { drainOf } from './signaling/drain.js';
import { createHandlers } from './signaling/handlers.js';
import { attachSignaling, type Signaling } from './signaling/server.js';
import { openDb, type Db } from './storage/db.js';
import { openSharedState } from './storage/state/state.js';
import { startSweeper } from './storage/sweep.js';
import { inlineStyleHashes, webRoutes } from './web/routes.js';

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

/** Builds the whole server without listening, so tests can start it on any port. */
export async function buildApp(
  config: Config,
  /** `logStream`: where log lines go (main.ts: readable lines for a terminal); stdout as JSON by default. */
  options: { logStream?: DestinationStream } = {},
): Promise<SmallTalk> {
  const log = createLogger(config.LOG_LEVEL, options.logStream);
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
  const state = await openSharedState(config, log).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  const services = await createServices(config, db, state, rules, log);
  const { metrics, auth, rooms, rings, push, fallbacks, matchmaking, safety, blocks, mailer } = services;

  const trust = proxyTrust(config.TRUST_PROXY);
  const app = await createHttpServer({
    log,
    metrics,
    trustProxy: config.TRUST_PROXY.length > 0 ? trust : false,
    inlineStyleHashes: inlineStyleHashes(config.webDir),
    allowedOrigins: config.ALLOWED_ORIGINS,
    publicUrl: config.PUBLIC_URL,
  });
  await apiRoutes(app, config, db, services);
  await app.register(healthRoutes, {
    check: async () => {
      await db.ping();
      await state.ping();
    },
    draining: () => drain.draining,
  });
  const metricsApp = await serveMetrics(app, { metrics, token: config.METRICS_TOKEN, port: config.METRICS_PORT, log });
  await app.register(webRoutes, { webDir: config.webDir });

  const signaling = attachSignaling(app.server, {
    auth,
    rooms,
    handlers: createHandlers({
      matchmaking,
      rooms,
      rings,
      mayMeet: (userId, kept) => safety.mayMeet(userId, kept),
      fallbacks,
    }),
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
  const drain = drainOf(signaling, state.bus, {
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    resumeGraceMs: config.RESUME_GRACE_MS,
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

  return {
    app,
    metricsApp,
    db,
    signaling,
    drain: () => drain.drain(),
    async close() {
      if (!drain.draining) await drain.drain();
      rooms.stop();
      rings.stop();
      push.stop();
      fallbacks.stop();
      state.saveRooms();
      // Before the process says it stopped cleanly: the rows of the last rooms it started.
      await services.history.written();
      // After the rooms are saved: their open calls are now the rooms file's, not a crash's.
      await services.crashes?.stop();
      await sweeper.stop();
      await evidenceSweeper.stop();
      await app.close();
      // After the routes stop: no new mail is queued while those waiting for a retry are dropped.
      await mailer.close();
      await metricsApp?.close();
      await state.close();
      await db.close();
    },
  };
}
