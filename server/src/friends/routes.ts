import type { FastifyInstance } from 'fastify';
import {
  FriendParams,
  FriendRequestParams,
  SendFriendRequest,
  type FriendResponse,
  type FriendsResponse,
  type SendFriendRequestResponse,
} from '@small-talk/protocol';
import { requirePrincipal } from '../auth/routes.js';
import type { AuthService } from '../auth/service.js';
import { parseInput } from '../validation.js';
import type { Friends } from './service.js';

export interface FriendRoutesOptions {
  auth: AuthService;
  friends: Friends;
  /** Throws `consent_required` or `restricted` when the user may not reach out to people now. */
  mayMeet: (userId: string) => Promise<unknown>;
}

export async function friendRoutes(app: FastifyInstance, options: FriendRoutesOptions): Promise<void> {
  const { auth, friends } = options;

  app.get('/api/friends', async (request): Promise<FriendsResponse> => {
    const { user } = await requirePrincipal(auth, request);
    return friends.list(user);
  });

  app.post('/api/friends/requests', async (request, reply): Promise<SendFriendRequestResponse> => {
    const { user } = await requirePrincipal(auth, request);
    const { userId } = parseInput(SendFriendRequest, request.body);
    await options.mayMeet(user.id);
    const answer = await friends.request(user, userId);
    return reply.code('request' in answer ? 201 : 200).send(answer);
  });

  app.post('/api/friends/requests/:id/accept', async (request): Promise<FriendResponse> => {
    const { user } = await requirePrincipal(auth, request);
    const { id } = parseInput(FriendRequestParams, request.params);
    return { friend: await friends.accept(user, id) };
  });

  app.post('/api/friends/requests/:id/decline', async (request, reply) => {
    const { user } = await requirePrincipal(auth, request);
    const { id } = parseInput(FriendRequestParams, request.params);
    await friends.decline(user, id);
    return reply.code(204).send();
  });

  app.delete('/api/friends/requests/:id', async (request, reply) => {
    const { user } = await requirePrincipal(auth, request);
    const { id } = parseInput(FriendRequestParams, request.params);
    await friends.withdraw(user, id);
    return reply.code(204).send();
  });

  app.delete('/api/friends/:userId', async (request, reply) => {
    const { user } = await requirePrincipal(auth, request);
    const { userId } = parseInput(FriendParams, request.params);
    await friends.unfriend(user, userId);
    return reply.code(204).send();
  });
}
