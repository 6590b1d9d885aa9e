import type { FastifyInstance } from 'fastify';
import { HistoryQuery, type HistoryResponse } from '@small-talk/protocol';
import { requirePrincipal } from '../auth/routes.js';
import type { AuthService } from '../auth/service.js';
import { parseInput } from '../validation.js';
import type { History } from './service.js';

export async function historyRoutes(
  app: FastifyInstance,
  options: { auth: AuthService; history: History },
): Promise<void> {
  app.get('/api/history', async (request): Promise<HistoryResponse> => {
    const { user } = await requirePrincipal(options.auth, request);
    const { limit } = parseInput(HistoryQuery, request.query);
    return { connections: await options.history.list(user.id, limit) };
  });
}
