import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  AppealDecisionRequest,
  AppealRequest,
  Id,
  ModAppealsQuery,
  type AppealDecisionResponse,
  type AppealResponse,
  type AppealsResponse,
  type ModAppealsResponse,
  type NoticesResponse,
} from '@small-talk/protocol';
import { principalOf } from '../auth/principal.js';
import { parseInput } from '../validation.js';
import type { Appeals } from './appeals.js';
import type { Notices } from './notices.js';

const AppealParams = z.object({ id: Id });

/**
 * What the affected user reads and how it contests it, and the moderators' answer. The user's
 * routes take a banned member's appeal session (`appealScope`): they are what it is for.
 */
export async function appealRoutes(
  app: FastifyInstance,
  options: { notices: Notices; appeals: Appeals },
): Promise<void> {
  const { notices, appeals } = options;

  app.get('/api/me/notices', { config: { principal: 'appeal' } }, async (request): Promise<NoticesResponse> => {
    const { user } = principalOf(request);
    return { notices: await notices.of(user.id) };
  });

  app.post('/api/appeals', { config: { principal: 'appeal' } }, async (request, reply): Promise<AppealResponse> => {
    const { user } = principalOf(request);
    const { text } = parseInput(AppealRequest, request.body);
    const appeal = await appeals.file(user.id, text);
    reply.code(201);
    return { appeal };
  });

  app.get('/api/appeals', { config: { principal: 'appeal' } }, async (request): Promise<AppealsResponse> => {
    const { user } = principalOf(request);
    return { appeals: await appeals.of(user.id) };
  });

  app.get('/api/mod/appeals', { config: { principal: 'moderator' } }, async (request): Promise<ModAppealsResponse> => {
    const { status } = parseInput(ModAppealsQuery, request.query);
    return { appeals: await appeals.list(status) };
  });

  app.post(
    '/api/mod/appeals/:id',
    { config: { principal: 'moderator' } },
    async (request): Promise<AppealDecisionResponse> => {
      const moderator = principalOf(request);
      const { id } = parseInput(AppealParams, request.params);
      const body = parseInput(AppealDecisionRequest, request.body);
      return { appeal: await appeals.decide(moderator.user, id, body) };
    },
  );
}
