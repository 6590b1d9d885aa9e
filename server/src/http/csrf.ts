import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

export interface CrossSiteOptions {
  /** Origins besides the page's own allowed to send state-changing requests (ALLOWED_ORIGINS). */
  allowedOrigins: readonly string[];
  /** PUBLIC_URL, whose origin is ours even when the Host a proxy passes differs. */
  publicUrl?: string | undefined;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Refuses a state-changing request a browser sent on behalf of another site (CSRF). Browsers
 * attach the session cookie to requests any page makes, so a hostile page could log its visitor
 * out or accept a friend request for them; they also say where a request comes from (Origin,
 * or Sec-Fetch-Site), which the page cannot forge.
 *
 * It applies to every request not carrying `Authorization: Bearer`: cookie-authenticated ones,
 * and anonymous ones too, so a hostile page cannot sign its visitor into an account of its
 * choosing either (login CSRF). A Bearer token is something a hostile page cannot know, and a
 * request with neither Origin nor Sec-Fetch-Site does not come from a browser: both pass.
 */
export function crossSiteGuard(options: CrossSiteOptions): (request: FastifyRequest) => Promise<void> {
  const publicOrigin = options.publicUrl ? new URL(options.publicUrl).origin : null;
  const allowed = new Set(options.allowedOrigins);
  return async (request) => {
    if (!STATE_CHANGING.has(request.method)) return;
    const authorization = request.headers.authorization;
    if (authorization && /^Bearer(\s|$)/i.test(authorization)) return;
    const origin = request.headers.origin;
    if (origin !== undefined) {
      if (origin === publicOrigin || allowed.has(origin) || isOwnOrigin(origin, request.headers.host)) return;
      throw new AppError('forbidden_origin', `requests from ${origin} may not change anything here`);
    }
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new AppError('forbidden_origin', `a ${site} request may not change anything here`);
    }
  };
}

/**
 * The page's own origin, judged by Host in either scheme, as the WebSocket edge judges it: TLS
 * usually ends at a proxy, so the server cannot tell which scheme the browser used.
 */
function isOwnOrigin(origin: string, host: string | undefined): boolean {
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}
