import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  GuestRequest,
  LoginRequest,
  type BannedLoginBody,
  RegisterRequest,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  type MeResponse,
  type OwnUser,
  type User,
} from '@small-talk/protocol';
import { serialize } from 'cookie';
import { parseInput } from '../validation.js';
import { LoginThrottled } from './login-throttle.js';
import { principalOf } from './principal.js';
import { BannedLogin, type Auth, type SignedIn } from './service.js';

export interface AuthRoutesOptions {
  auth: Auth;
  guestRateLimitPerMin: number;
  authRateLimitPerMin: number;
  sessionTtlMs: number;
  /** Every session cookie is `__Host-st_session; Secure` (config.secureCookie). */
  secureCookie: boolean;
  /** The user as its owner sees it (consent, restriction): what every sign-in and /api/me answer. */
  ownUser: (user: User) => Promise<OwnUser>;
  /** A member registered (or a guest upgraded) with an e-mail: mails it the verification code (accounts/). */
  registered?: (userId: string) => Promise<void>;
}

/** What a sign-in answer needs besides the session: the cookie's settings and the own user. */
export type SignInOptions = Pick<AuthRoutesOptions, 'sessionTtlMs' | 'secureCookie' | 'ownUser'>;

/**
 * Answers a sign-in (guest, register, login, password reset): `{user, token}` and the session
 * cookie. Over https (configured, or said by a trusted proxy's X-Forwarded-Proto) the cookie is
 * Secure and __Host-: never sent over plain http, and no subdomain can set one in its place.
 */
export async function sendSignedIn(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  signedIn: SignedIn,
  options: SignInOptions,
) {
  const maxAge = Math.floor(options.sessionTtlMs / 1000);
  const cookie =
    options.secureCookie || request.protocol === 'https'
      ? `${serialize(SECURE_SESSION_COOKIE, signedIn.token)}; Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=${maxAge}`
      : `${serialize(SESSION_COOKIE, signedIn.token)}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${maxAge}`;
  const user = await options.ownUser(signedIn.user);
  return reply.code(status).header('set-cookie', cookie).send({ user, token: signedIn.token });
}

/** A banned member proved who it is: 403 `banned` with the appeal token, and no cookie (it is for the restriction screen, not a signed-in browser). */
export function sendBannedLogin(reply: FastifyReply, error: BannedLogin) {
  return reply.code(403).send({
    error: { code: 'banned', message: 'you are banned: read the notice and appeal if you think it is wrong' },
    appealToken: error.appealToken,
    expiresAt: new Date(error.expiresAt).toISOString(),
  } satisfies BannedLoginBody);
}

export async function authRoutes(app: FastifyInstance, options: AuthRoutesOptions): Promise<void> {
  const { auth } = options;
  // Limits are keyed on the client address: the TCP peer, or what a proxy listed in TRUST_PROXY
  // forwarded (request.ip). Never a forwarded header from anyone else: a client can forge it.
  const perAddress = (max: number) => ({
    rateLimit: { max, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => req.ip },
  });

  const signIn = (request: FastifyRequest, reply: FastifyReply, status: number, signedIn: SignedIn) =>
    sendSignedIn(request, reply, status, signedIn, options);

  app.post('/api/auth/guest', { config: perAddress(options.guestRateLimitPerMin) }, async (request, reply) => {
    const body = parseInput(GuestRequest, request.body);
    return signIn(request, reply, 201, await auth.createGuest(body.displayName));
  });

  // Signed in as a guest, a registration upgrades that guest (its session is read if sent).
  app.post(
    '/api/auth/register',
    { config: { ...perAddress(options.authRateLimitPerMin), principal: 'optional' } },
    async (request, reply) => {
      const body = parseInput(RegisterRequest, request.body);
      const signedIn = await auth.register(body, request.principal);
      // The code goes out at once (a send that counts toward the day's limit). The account exists
      // either way: a code that could not be queued is asked for again with verify-start.
      await options
        .registered?.(signedIn.user.id)
        .catch((error: unknown) =>
          request.log.warn({ err: error }, 'could not send the verification code at registration'),
        );
      return signIn(request, reply, 201, signedIn);
    },
  );

  app.post('/api/auth/login', { config: perAddress(options.authRateLimitPerMin) }, async (request, reply) => {
    const body = parseInput(LoginRequest, request.body);
    try {
      return signIn(request, reply, 200, await auth.login(body.email, body.password, request.ip));
    } catch (error) {
      if (error instanceof LoginThrottled) reply.header('retry-after', String(error.retryAfterS));
      if (error instanceof BannedLogin) return sendBannedLogin(reply, error);
      throw error;
    }
  });

  app.post('/api/auth/logout', { config: { principal: 'user' } }, async (request, reply) => {
    await auth.logout(principalOf(request));
    // Both names: whichever this browser holds (a deployment may have switched to https since).
    return reply
      .code(204)
      .header('set-cookie', [
        `${SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0`,
        `${SECURE_SESSION_COOKIE}=; Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=0`,
      ])
      .send();
  });

  // A banned member's appeal session may read itself (its restriction shows why).
  app.get('/api/me', { config: { principal: 'appeal' } }, async (request): Promise<MeResponse> => {
    const { user } = principalOf(request);
    return { user: await options.ownUser(user) };
  });
}
