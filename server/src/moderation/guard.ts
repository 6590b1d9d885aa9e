import type { FastifyRequest } from 'fastify';
import type { Role } from '@small-talk/protocol';
import { requirePrincipal } from '../auth/routes.js';
import type { AuthService, Principal } from '../auth/service.js';
import { AppError } from '../errors.js';

const RANK: Record<Role, number> = { user: 0, moderator: 1, admin: 2 };

/**
 * The principal behind a request if its role is at least `least`: 401 `unauthenticated` with
 * no session, 403 `forbidden` with too small a role. The role is read with the session on each
 * request, so one given or taken counts at once on every process.
 */
export async function requireRole(
  auth: AuthService,
  request: FastifyRequest,
  least: Exclude<Role, 'user'>,
): Promise<Principal> {
  const principal = await requirePrincipal(auth, request);
  if (RANK[principal.role] < RANK[least]) throw new AppError('forbidden', `this needs the ${least} role`);
  return principal;
}
