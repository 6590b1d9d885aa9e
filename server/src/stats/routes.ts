import type { FastifyInstance } from 'fastify';
import type { StatsResponse } from '@small-talk/protocol';
import type { Stats } from './service.js';

/** No session needed: the numbers are what the Categories screen shows before anyone signs in. */
export async function statsRoutes(app: FastifyInstance, options: { stats: Stats }): Promise<void> {
  app.get('/api/stats', async (): Promise<StatsResponse> => options.stats.current());
}
