import type { FastifyInstance } from 'fastify';
import type { IceResponse } from '@small-talk/protocol';
import { principalOf } from '../auth/principal.js';
import { iceServersFor, type IceSettings } from './service.js';

export async function iceRoutes(app: FastifyInstance, options: { ice: IceSettings }): Promise<void> {
  app.get('/api/ice', { config: { principal: 'user' } }, async (request, reply): Promise<IceResponse> => {
    const { user } = principalOf(request);
    // Credentials: no browser cache or proxy may keep them, or hand them to someone else.
    reply.header('cache-control', 'no-store');
    return iceServersFor(options.ice, user.id);
  });
}
