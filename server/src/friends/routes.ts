import type { FastifyInstance } from 'fastify';
import {
  FriendParams,
  FriendRequestParams,
  SendFriendRequest,
  type FriendResponse,
  type FriendsResponse,
  type SendFriendRequestResponse,
} from '@small-talk/protocol';
import { principalOf } from '../auth/principal.js';
import { parseInput } from '../validation.js';
import type { Friends } from './service.js';

export interface FriendRoutesOptions {
  friends: Friends;
  /** Throws `consent_required` or `restricted` when the user may not reach out to people now. */
  mayMeet: (userId: string) => Promise<unknown>;
}

export async function friendRoutes(app: FastifyInstance, options: FriendRoutesOptions): Promise<void> {
  const { friends } = options;

  app.get('/api/friends', { config: { principal: 'user' } }, async (request): Promise<FriendsResponse> => {
    const { user } = principalOf(request);
    return friends.list(user);
  });

  app.post(
    '/api/friends/requests',
    { config: { principal: 'user' } },
    async (request, reply): Promise<SendFriendRequestResponse> => {
      const { user } = principalOf(request);
      const { userId } = parseInput(SendFriendRequest, request.body);
      await options.mayMeet(user.id);
      const answer = await friends.request(user, userId);
      return reply.code('request' in answer ? 201 : 200).send(answer);
    },
  );

  app.post(
    '/api/friends/requests/:id/accept',
    { config: { principal: 'user' } },
    async (request): Promise<FriendResponse> => {
      const { user } = principalOf(request);
      const { id } = parseInput(FriendRequestParams, request.params);
      return { friend: await friends.accept(user, id) };
    },
  );

  app.post('/api/friends/requests/:id/decline', { config: { principal: 'user' } }, async (request, reply) => {
    const { user } = principalOf(request);
    const { id } = parseInput(FriendRequestParams, request.params);
    await friends.decline(user, id);
    return reply.code(204).send();
  });

  app.delete('/api/friends/requests/:id', { config: { principal: 'user' } }, async (request, reply) => {
    const { user } = principalOf(request);
    const { id } = parseInput(FriendRequestParams, request.params);
    await friends.withdraw(user, id);
    return reply.code(204).send();
  });

  app.delete('/api/friends/:userId', { config: { principal: 'user' } }, async (request, reply) => {
    const { user } = principalOf(request);
    const { userId } = parseInput(FriendParams, request.params);
    await friends.unfriend(user, userId);
    return reply.code(204).send();
  });
}
