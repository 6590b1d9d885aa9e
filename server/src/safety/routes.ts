import type { FastifyInstance } from 'fastify';
import { ConsentRequest, type MeResponse, type RulesResponse } from '@small-talk/protocol';
import { requirePrincipal } from '../auth/routes.js';
import type { AuthService } from '../auth/service.js';
import { parseInput } from '../validation.js';
import type { Safety } from './service.js';

export async function safetyRoutes(app: FastifyInstance, options: { auth: AuthService; safety: Safety }): Promise<void> {
  const { auth, safety } = options;

  // No session needed: the rules are public, and the app shows them before anyone signs in.
  app.get('/api/rules', async (): Promise<RulesResponse> => safety.rules);

  app.post('/api/me/consent', async (request): Promise<MeResponse> => {
    const { user } = await requirePrincipal(auth, request);
    await safety.refuseIfUnderage(user.id);
    const answer = parseInput(ConsentRequest, request.body);
    return { user: await safety.consent(user, answer) };
  });
}
