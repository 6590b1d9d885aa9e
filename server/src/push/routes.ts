import type { FastifyInstance } from 'fastify';
import { PushTokenRequest, type PushConfigResponse } from '@small-talk/protocol';
import { z } from 'zod';
import { principalOf } from '../auth/principal.js';
import { AppError } from '../errors.js';
import { parseInput } from '../validation.js';
import type { PushTokens } from './tokens.js';
import { isWebSubscription } from './web.js';

export interface PushRoutesOptions {
  tokens: PushTokens;
  /** The VAPID public key the web app subscribes with; null when web push is off. */
  webPushKey: string | null;
}

const TokenParams = z.object({ token: z.string().min(1).max(4096) });

export async function pushRoutes(app: FastifyInstance, options: PushRoutesOptions): Promise<void> {
  const { tokens } = options;

  app.get('/api/push/config', async (): Promise<PushConfigResponse> => ({ webPushKey: options.webPushKey }));

  app.post('/api/me/push-tokens', { config: { principal: 'user' } }, async (request, reply) => {
    const principal = principalOf(request);
    const token = parseInput(PushTokenRequest, request.body);
    if (token.platform === 'web' && !isWebSubscription(token.token)) {
      throw new AppError(
        'bad_request',
        'a web token is the JSON of a PushSubscription: {"endpoint":"https://…","keys":{"p256dh","auth"}}',
      );
    }
    await tokens.register(principal.user.id, principal.tokenHash, token);
    return reply.code(201).send({});
  });

  app.delete('/api/me/push-tokens/:token', { config: { principal: 'user' } }, async (request, reply) => {
    const { user } = principalOf(request);
    const { token } = parseInput(TokenParams, request.params);
    if (!(await tokens.remove(user.id, token))) throw new AppError('not_found', 'no such push token');
    return reply.code(204).send();
  });
}
