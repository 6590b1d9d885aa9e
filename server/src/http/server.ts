import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { ErrorCode } from '@small-talk/protocol';
import type { Logger } from 'pino';
import { AppError, errorBody } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { requireBodyType } from './body-type.js';
import type { ProxyTrust } from './client-address.js';
import { crossSiteGuard, type CrossSiteOptions } from './csrf.js';
import { securityHeaders, type SecurityHeadersOptions } from './security-headers.js';

export interface HttpOptions extends CrossSiteOptions, SecurityHeadersOptions {
  log: Logger;
  /** Counts every error answered, by its code. */
  metrics: Pick<Metrics, 'error'>;
  /** TRUST_PROXY's proxies, or false with none listed: X-Forwarded-* then comes from nobody we believe. */
  trustProxy: ProxyTrust | false;
}

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

/**
 * The HTTP edge, before any route: every answer in our error shape ({error:{code,message}}),
 * JSON bodies, the security headers, the cross-site and body-type checks, and rate limits that
 * routes opt into.
 */
export async function createHttpServer(options: HttpOptions): Promise<FastifyInstance> {
  const { metrics } = options;
  const app = Fastify({
    // Fastify's logger type is narrower than pino's; the instance is the same.
    loggerInstance: options.log as FastifyBaseLogger,
    bodyLimit: 16 * 1024,
    // DELETE /api/me/push-tokens/:token carries a web push subscription's JSON, URL-encoded.
    routerOptions: { maxParamLength: 16 * 1024 },
    // X-Forwarded-For/-Proto are believed from TRUST_PROXY's proxies only (request.ip, request.protocol);
    // from anyone else they are the client's to forge.
    trustProxy: options.trustProxy,
    return503OnClosing: true,
    // A URL Fastify cannot decode (`/a%ZZ`) is the client's mistake: our error shape, not Fastify's.
    frameworkErrors: (error, _request, reply) => {
      metrics.error('bad_request');
      void (reply as FastifyReply).code(400).send(errorBody('bad_request', error.message));
    },
  });

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
  await securityHeaders(app, { inlineStyleHashes: options.inlineStyleHashes });
  // Where a request comes from first (403), then what its body is (415): both before any route reads it.
  app.addHook('onRequest', crossSiteGuard({ allowedOrigins: options.allowedOrigins, publicUrl: options.publicUrl }));
  app.addHook('onRequest', requireBodyType);

  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `too many requests from this address; retry in ${context.after}`),
  });
  return app;
}
