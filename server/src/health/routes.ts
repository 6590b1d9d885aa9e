import type { FastifyInstance } from 'fastify';
import { errorBody } from '../errors.js';

export interface HealthOptions {
  /** Throws when a service the process depends on is unreachable. */
  check(): Promise<void>;
  /** True once the process is draining: load balancers must stop sending it users. */
  draining(): boolean;
  metrics(): Promise<string>;
  metricsContentType: string;
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
      return reply.code(503).send({ status: 'unavailable', ...errorBody('unavailable', 'the database or Redis is unreachable') });
    }
    return { status: 'ok' };
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', options.metricsContentType).send(await options.metrics());
  });
}
