import type { FastifyInstance } from 'fastify';
import type { IceResponse } from '@small-talk/protocol';
import { requirePrincipal } from '../auth/routes.js';
import type { AuthService } from '../auth/service.js';
import { iceServersFor, type IceSettings } from './service.js';

export async function iceRoutes(app: FastifyInstance, options: { auth: AuthService; ice: IceSettings }): Promise<void> {
  app.get('/api/ice', async (request, reply): Promise<IceResponse> => {
    const { user } = await requirePrincipal(options.auth, request);
    // Credentials: no browser cache or proxy may keep them, or hand them to someone else.
    reply.header('cache-control', 'no-store');
    return iceServersFor(options.ice, user.id);
  });
}
