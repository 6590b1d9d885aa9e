import type { FastifyInstance } from 'fastify';
import { HistoryQuery, type HistoryResponse } from '@small-talk/protocol';
import { principalOf } from '../auth/principal.js';
import { parseInput } from '../validation.js';
import type { History } from './service.js';

export async function historyRoutes(app: FastifyInstance, options: { history: History }): Promise<void> {
  app.get('/api/history', { config: { principal: 'user' } }, async (request): Promise<HistoryResponse> => {
    const { user } = principalOf(request);
    const { limit } = parseInput(HistoryQuery, request.query);
    return { connections: await options.history.list(user.id, limit) };
  });
}
