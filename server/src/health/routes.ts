import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, errorBody } from '../errors.js';

export interface HealthOptions {
  /** Throws when a service the process depends on is unreachable. */
  check(): Promise<void>;
  /** True once the process is draining: load balancers must stop sending it users. */
  draining(): boolean;
}

export async function healthRoutes(app: FastifyInstance, options: HealthOptions): Promise<void> {
  app.get('/healthz', async (request, reply) => {
    if (options.draining()) {
      return reply.code(503).send({ status: 'draining', ...errorBody('unavailable', 'this process is shutting down') });
    }
    try {
      await options.check();
    } catch (error) {
      request.log.warn({ err: error }, 'health check failed');
      return reply
        .code(503)
        .send({ status: 'unavailable', ...errorBody('unavailable', 'the database or Redis is unreachable') });
    }
    return { status: 'ok' };
  });
}

export interface MetricsOptions {
  metrics(): Promise<string>;
  metricsContentType: string;
  /** METRICS_TOKEN: when set, a scrape needs `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /**
   * True on the METRICS_PORT listener, which only the operator's network reaches; false on PORT,
   * where without a token only the machine itself may scrape.
   */
  ownPort: boolean;
}

/**
 * GET /metrics. It tells anyone how many users are online, queued and in calls, and what errors
 * they hit: operators' business, so it is never public. A token, a port of its own, or, with
 * neither, requests from this machine only.
 */
export async function metricsRoutes(app: FastifyInstance, options: MetricsOptions): Promise<void> {
  const expected = options.token === undefined ? null : digest(options.token);
  app.get('/metrics', async (request, reply) => {
    if (expected) {
      const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
      // Compared as digests, in constant time: how long a wrong guess takes says nothing.
      if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
        throw new AppError('unauthenticated', '/metrics needs Authorization: Bearer <METRICS_TOKEN>');
      }
    } else if (!options.ownPort && !fromThisMachine(request)) {
      throw new AppError(
        'forbidden',
        '/metrics answers only requests from this machine (or set METRICS_TOKEN or METRICS_PORT)',
      );
    }
    return reply.header('content-type', options.metricsContentType).send(await options.metrics());
  });
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * A loopback TCP peer that no proxy forwarded: a proxy on the same host (nginx on localhost)
 * connects from loopback too, and what it passes on comes from the internet.
 */
function fromThisMachine(request: FastifyRequest): boolean {
  if (request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined) return false;
  return isLoopback(request.socket.remoteAddress);
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
