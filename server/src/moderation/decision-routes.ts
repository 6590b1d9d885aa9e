import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  Id,
  ModActionRequest,
  SetRoleRequest,
  type ModActionResponse,
  type SetRoleResponse,
} from '@small-talk/protocol';
import { principalOf } from '../auth/principal.js';
import { parseInput } from '../validation.js';
import type { Decisions } from './decisions.js';
import type { Roles } from './roles.js';

const UserParams = z.object({ id: Id });

/** Decisions about users: roles (admins) and moderators' actions. Who asks is checked before what it asks. */
export async function decisionRoutes(
  app: FastifyInstance,
  options: { roles: Roles; decisions: Decisions },
): Promise<void> {
  const { roles, decisions } = options;

  app.put(
    '/api/admin/users/:id/role',
    { config: { principal: 'admin' } },
    async (request): Promise<SetRoleResponse> => {
      const admin = principalOf(request);
      const { id } = parseInput(UserParams, request.params);
      const { role } = parseInput(SetRoleRequest, request.body);
      const { user } = await roles.set(id, role, admin.user);
      return { user };
    },
  );

  app.post(
    '/api/mod/users/:id/actions',
    { config: { principal: 'moderator' } },
    async (request, reply): Promise<ModActionResponse> => {
      const moderator = principalOf(request);
      const { id } = parseInput(UserParams, request.params);
      const body = parseInput(ModActionRequest, request.body);
      const action = await decisions.decide(moderator.user, id, body);
      reply.code(201);
      return { action };
    },
  );
}
