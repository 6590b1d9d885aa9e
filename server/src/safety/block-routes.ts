import type { FastifyInstance } from 'fastify';
import { BlockParams, BlockRequest, type BlockResponse, type BlocksResponse } from '@small-talk/protocol';
import { requirePrincipal } from '../auth/routes.js';
import type { AuthService } from '../auth/service.js';
import { parseInput } from '../validation.js';
import type { Blocks } from './blocks.js';

/** POST/GET/DELETE /api/blocks: the session's user blocks, lists and unblocks people. */
export async function blockRoutes(app: FastifyInstance, options: { auth: AuthService; blocks: Blocks }): Promise<void> {
  const { auth, blocks } = options;

  app.post('/api/blocks', async (request, reply): Promise<BlockResponse> => {
    const { user } = await requirePrincipal(auth, request);
    const { userId } = parseInput(BlockRequest, request.body);
    const { block, created } = await blocks.add(user.id, userId);
    return reply.code(created ? 201 : 200).send({ block });
  });

  app.get('/api/blocks', async (request): Promise<BlocksResponse> => {
    const { user } = await requirePrincipal(auth, request);
    return { blocks: await blocks.list(user.id) };
  });

  app.delete('/api/blocks/:userId', async (request, reply) => {
    const { user } = await requirePrincipal(auth, request);
    const { userId } = parseInput(BlockParams, request.params);
    await blocks.remove(user.id, userId);
    return reply.code(204).send();
  });
}
