import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Role } from '@small-talk/protocol';
import { AppError } from '../errors.js';
import { tokenFrom } from './credentials.js';
import type { Auth, Principal } from './service.js';

/**
 * What a route needs of the session behind a request (its `config.principal`):
 * - `optional`: read it if one is sent, none is fine (register upgrades a current guest);
 * - `user`, `moderator`, `admin`: a session whose role is at least that, never a banned member's
 *   appeal session;
 * - `appeal`: any session, a banned member's appeal session too (its notices, its appeals, itself).
 */
export type PrincipalNeed = 'optional' | 'appeal' | Role;

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request, set before the route's own hooks when the route asks (`config.principal`). */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Without it the request's session is not read at all: public routes and web assets pay no database read. */
    principal?: PrincipalNeed;
  }
}

const RANK: Record<Role, number> = { user: 0, moderator: 1, admin: 2 };

/** The 401 or 403 for a principal that is not what a route needs; the one place these are decided. */
function check(principal: Principal | null, need: PrincipalNeed): void {
  if (need === 'optional') return;
  if (!principal) throw new AppError('unauthenticated', 'sign in first: no valid session');
  if (need === 'appeal') return;
  if (principal.scope === 'appeal')
    throw new AppError('banned', 'you are banned: this session can only read your notices and appeal');
  // The role is read with the session on each request, so one given or taken counts at once on every process.
  if (RANK[principal.role] < RANK[need]) throw new AppError('forbidden', `this needs the ${need} role`);
}

/**
 * Reads the session of every request whose route declares `config.principal`, once, and refuses
 * it there if it is not what the route needs. Added after the origin and body-type hooks, so
 * their 403 and 415 still come before a 401; before the route's own hooks, so they (and the
 * handler) can read `request.principal`.
 */
export function authenticateRequests(app: FastifyInstance, auth: Auth): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const need = request.routeOptions.config.principal;
    if (!need) return;
    const token = tokenFrom(request.headers);
    request.principal = token ? await auth.authenticate(token) : null;
    check(request.principal, need);
  });
}

/** The principal of a route that needs one: the hook has checked it against the route's `config.principal`. */
export function principalOf(request: FastifyRequest): Principal {
  // A route that forgot to declare what it needs must fail loudly, never run as nobody.
  if (!request.principal)
    throw new Error(
      `${request.method} ${request.routeOptions.url ?? request.url} reads a principal but declares no config.principal`,
    );
  return request.principal;
}
