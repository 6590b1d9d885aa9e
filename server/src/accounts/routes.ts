import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  ProfileRequest,
  ResetPasswordRequest,
  ResetStartRequest,
  VerifyEmailRequest,
  type AcceptedResponse,
  type MeResponse,
  type OwnUser,
  type User,
} from '@small-talk/protocol';
import { principalOf } from '../auth/principal.js';
import { sendBannedLogin, sendSignedIn, type SignInOptions } from '../auth/routes.js';
import { BannedLogin } from '../auth/service.js';
import { parseInput } from '../validation.js';
import type { PasswordReset } from './password-reset.js';
import type { Profile } from './profile.js';
import type { EmailVerification } from './verification.js';

export interface AccountRoutesOptions extends SignInOptions {
  verification: EmailVerification;
  passwordReset: PasswordReset;
  profile: Profile;
  /** Requests per client address per minute on the routes that mail or guess (AUTH_RATE_LIMIT_PER_MIN). */
  rateLimitPerMin: number;
  ownUser: (user: User) => Promise<OwnUser>;
}

/** Verified e-mail, password reset and the profile: `/api/auth/email/*`, `/api/auth/password/*`, `PATCH /api/me`. */
export async function accountRoutes(app: FastifyInstance, options: AccountRoutesOptions): Promise<void> {
  // Keyed on the client address, as login is: on top of the per-member and per-address mail limits.
  const perAddress = {
    rateLimit: { max: options.rateLimitPerMin, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => req.ip },
  };

  app.post('/api/auth/email/verify-start', { config: { ...perAddress, principal: 'user' } }, async (request, reply) => {
    const { user } = principalOf(request);
    await options.verification.start(user.id);
    return reply.code(202).send({} satisfies AcceptedResponse);
  });

  app.post(
    '/api/auth/email/verify',
    { config: { ...perAddress, principal: 'user' } },
    async (request): Promise<MeResponse> => {
      const { user } = principalOf(request);
      const body = parseInput(VerifyEmailRequest, request.body);
      await options.verification.verify(user.id, body.code);
      return { user: await options.ownUser(user) };
    },
  );

  app.post('/api/auth/password/reset-start', { config: perAddress }, async (request, reply) => {
    const body = parseInput(ResetStartRequest, request.body);
    await options.passwordReset.start(body.email);
    return reply.code(202).send({} satisfies AcceptedResponse);
  });

  app.post('/api/auth/password/reset', { config: perAddress }, async (request, reply) => {
    const body = parseInput(ResetPasswordRequest, request.body);
    try {
      return await sendSignedIn(
        request,
        reply,
        200,
        await options.passwordReset.reset(body.token, body.password),
        options,
      );
    } catch (error) {
      if (error instanceof BannedLogin) return sendBannedLogin(reply, error);
      throw error;
    }
  });

  app.patch('/api/me', { config: { principal: 'user' } }, async (request): Promise<MeResponse> => {
    const { user } = principalOf(request);
    const body = parseInput(ProfileRequest, request.body);
    await options.profile.update(user.id, body);
    const shown = body.displayName === undefined ? user : { ...user, displayName: body.displayName };
    return { user: await options.ownUser(shown) };
  });
}
