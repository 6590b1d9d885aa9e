import type { FastifyInstance } from 'fastify';
import type { CategoriesResponse } from '@small-talk/protocol';
import type { Categories } from './service.js';

export async function categoryRoutes(app: FastifyInstance, options: { categories: Categories }): Promise<void> {
  app.get('/api/categories', async (): Promise<CategoriesResponse> => ({
    categories: await options.categories.list(),
  }));
}
