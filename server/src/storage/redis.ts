import { once } from 'node:events';
import { Command, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';

/** How long start-up waits for Redis before giving up (a supervisor restarts the process). */
const CONNECT_TIMEOUT_MS = 10_000;
/** /healthz calls Redis unreachable when a PING takes longer than this. */
const PING_TIMEOUT_MS = 1000;

/**
 * Two connections to Redis per process: `commands` for everything, and `subscriber`, which a
 * SUBSCRIBE puts in a mode where it can do nothing else. Both reconnect by themselves.
 */
export interface RedisConnections {
  commands: Redis;
  subscriber: Redis;
  /** `{prefix}:` — every key and channel starts with it. */
  prefix: string;
  /**
   * PUBLISH on `commands`, written at once when no auto-pipelined command waits to go before it
   * (else queued after them: the connection's order is what the bus's hand-off relies on). For a
   * caller that batches by itself: through the auto-pipeline, a PUBLISH issued from a
   * `setImmediate` would wait for the next turn of the event loop, or for the replies to the
   * pipeline before it.
   */
  publish(channel: string, message: string): Promise<number>;
  /** Throws unless both connections are up and Redis answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function connectRedis(url: string, prefix: string, log: Logger): Promise<RedisConnections> {
  const options: RedisOptions = {
    // While Redis is down a command fails at once (the caller answers `unavailable`) instead of
    // queueing in memory for a Redis that may be gone for minutes.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Reconnect quickly and keep trying: /healthz must turn 200 within seconds of Redis coming back.
    retryStrategy: (attempt) => Math.min(100 * attempt, 1000),
    connectTimeout: 2000,
    // Commands issued in the same tick leave in one write: a burst of joins or relayed frames
    // costs a few packets, not one each.
    enableAutoPipelining: true,
    lazyConnect: true,
  };
  const commands = new Redis(url, options);
  const subscriber = new Redis(url, { ...options, enableAutoPipelining: false });
  // A connection that fails emits 'error' on each retry; unhandled, the first would crash the
  // process. One warning per outage is enough.
  for (const [name, connection] of [
    ['commands', commands],
    ['subscriber', subscriber],
  ] as const) {
    let down = false;
    connection.on('error', (error: Error) => {
      if (!down) log.warn({ err: error, connection: name }, 'redis connection lost');
      down = true;
    });
    connection.on('ready', () => {
      if (down) log.info({ connection: name }, 'redis connection back');
      down = false;
    });
  }
  try {
    await Promise.race([
      Promise.all([commands.connect(), subscriber.connect()]),
      new Promise((_resolve, reject) =>
        setTimeout(
          () => reject(new Error(`Redis at ${redact(url)} did not answer within ${CONNECT_TIMEOUT_MS} ms`)),
          CONNECT_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
  } catch (error) {
    commands.disconnect();
    subscriber.disconnect();
    throw error;
  }

  return {
    commands,
    subscriber,
    prefix: `${prefix}:`,
    publish(channel, message) {
      if (commands.autoPipelineQueueSize > 0) return commands.publish(channel, message);
      const command = new Command('publish', [channel, message], { replyEncoding: 'utf8' });
      void commands.sendCommand(command);
      return command.promise as Promise<number>;
    },
    async ping() {
      if (commands.status !== 'ready' || subscriber.status !== 'ready') throw new Error('redis is not connected');
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          commands.ping(),
          new Promise(
            (_resolve, reject) =>
              (timer = setTimeout(() => reject(new Error('redis did not answer in time')), PING_TIMEOUT_MS)),
          ),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await Promise.all(
        [commands, subscriber].map(async (connection) => {
          if (connection.status === 'end') return;
          if (connection.status !== 'ready') return connection.disconnect();
          const ended = once(connection, 'end');
          await connection.quit().catch(() => connection.disconnect());
          await ended;
        }),
      );
    },
  };
}

/**
 * Turns a failed Redis command into the protocol's `unavailable`: the client may retry, and
 * nothing logs a stack for an outage that is already reported once.
 */
export function unavailable(error: unknown): never {
  if (error instanceof AppError) throw error;
  throw new AppError(
    'unavailable',
    `matchmaking is unreachable right now (${(error as Error)?.message ?? 'redis error'}); try again`,
  );
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'REDIS_URL';
  }
}

export type Script = (...args: Array<string | number>) => Promise<unknown>;

/**
 * A Lua script run by SHA, loaded again by ioredis when Redis answers NOSCRIPT (after a restart).
 * Each runs atomically: nothing else touches Redis between its first and last command. The
 * scripts compute the keys they touch from the prefix, so they need one Redis, not a Redis Cluster.
 */
export function defineScript(redis: Redis, name: string, lua: string): Script {
  redis.defineCommand(name, { numberOfKeys: 0, lua });
  const command = (redis as unknown as Record<string, (...args: Array<string | number>) => Promise<unknown>>)[name]!;
  return (...args) => command.apply(redis, args);
}
