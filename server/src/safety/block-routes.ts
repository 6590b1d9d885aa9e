import type { FastifyInstance } from 'fastify';
import { BlockParams, BlockRequest, type BlockResponse, type BlocksResponse } from '@small-talk/protocol';
import { principalOf } from '../auth/principal.js';
import { parseInput } from '../validation.js';
import type { Blocks } from './blocks.js';

/** POST/GET/DELETE /api/blocks: the session's user blocks, lists and unblocks people. */
export async function blockRoutes(app: FastifyInstance, options: { blocks: Blocks }): Promise<void> {
  const { blocks } = options;

  app.post('/api/blocks', { config: { principal: 'user' } }, async (request, reply): Promise<BlockResponse> => {
    const { user } = principalOf(request);
    const { userId } = parseInput(BlockRequest, request.body);
    const { block, created } = await blocks.add(user.id, userId);
    return reply.code(created ? 201 : 200).send({ block });
  });

  app.get('/api/blocks', { config: { principal: 'user' } }, async (request): Promise<BlocksResponse> => {
    const { user } = principalOf(request);
    return { blocks: await blocks.list(user.id) };
  });

  app.delete('/api/blocks/:userId', { config: { principal: 'user' } }, async (request, reply) => {
    const { user } = principalOf(request);
    const { userId } = parseInput(BlockParams, request.params);
    await blocks.remove(user.id, userId);
    return reply.code(204).send();
  });
}
