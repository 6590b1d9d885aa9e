import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The media type this route's body must have instead of application/json (an upload route:
     * report evidence takes image/jpeg). The route's plugin registers the parser for it.
     */
    bodyType?: string;
  }
}

const JSON_TYPE = 'application/json';

/**
 * Every request with a body must say it is JSON (or the type its route declares), else 415
 * `unsupported_media_type`. A hostile page can send text/plain, a form or multipart to any site
 * without asking first; only JSON needs the CORS preflight we never answer. So a body a browser
 * would send cross-site is refused before anything reads it.
 */
export async function requireBodyType(request: FastifyRequest): Promise<void> {
  const length = request.headers['content-length'];
  const hasBody = request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) return;
  const expected = request.routeOptions.config?.bodyType ?? JSON_TYPE;
  const type = request.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
  if (type === expected) return;
  throw new AppError(
    'unsupported_media_type',
    type ? `a body must be ${expected}, not ${type}` : `a body must be ${expected}: say so in Content-Type`,
  );
}
