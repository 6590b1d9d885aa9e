import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AppError, errorBody } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { metricsRoutes } from './routes.js';

export interface MetricsServing {
  metrics: Metrics;
  /** METRICS_TOKEN */
  token: string | undefined;
  /** METRICS_PORT: /metrics there alone, never on PORT. */
  port: number | undefined;
  log: Logger;
}

/**
 * /metrics on PORT (`app`), or, with METRICS_PORT, on a listener of its own and not on PORT at
 * all: that listener is returned (main.ts listens it on METRICS_PORT), else null.
 */
export async function serveMetrics(app: FastifyInstance, options: MetricsServing): Promise<FastifyInstance | null> {
  const { metrics, log } = options;
  const routeOptions = {
    metrics: () => metrics.registry.metrics(),
    metricsContentType: metrics.registry.contentType,
    token: options.token,
  };
  if (options.port === undefined) {
    await app.register(metricsRoutes, { ...routeOptions, ownPort: false });
    return null;
  }
  const listener = Fastify({ loggerInstance: log as FastifyBaseLogger });
  listener.setErrorHandler((error, _request, reply) => {
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
  listener.setNotFoundHandler((_request, reply) =>
    reply.code(404).send(errorBody('not_found', 'this port serves GET /metrics only')),
  );
  await listener.register(metricsRoutes, { ...routeOptions, ownPort: true });
  return listener;
}
