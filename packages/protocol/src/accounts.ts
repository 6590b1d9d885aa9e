import { z } from 'zod';
import { Bio, DisplayName, Languages, OwnUser } from './common.js';
import { Email, Password } from './http.js';

/**
 * Accounts that mean something (verified e-mail, password reset), the profile people are matched
 * by (languages, bio), and how many people are around.
 */

/** A verification code is six digits, sent by mail, valid this long; a new one replaces the old. */
export const VERIFY_CODE_TTL_MS = 15 * 60 * 1000;
/** Codes one member may ask for per day (24 hours): a typo needs a second, a flood is refused. */
export const VERIFY_CODES_PER_DAY = 5;
/** Wrong guesses that kill a code: 5 in a million is no way to guess 6 digits. */
export const VERIFY_MAX_TRIES = 5;
/** A password reset link is good for one use, within this long. */
export const RESET_TOKEN_TTL_MS = 30 * 60 * 1000;
/** Reset mails one address gets per hour; later requests still answer 202 and send nothing. */
export const RESET_MAILS_PER_HOUR = 5;
/** Default of the server's FALLBACK_AFTER_MS: how long a user who said `anyone` waits before its search widens. */
export const FALLBACK_AFTER_MS = 10_000;

/** `POST /api/auth/email/verify`: the code from the mail. Anything but the live code is `invalid_code`. */
export const VerifyEmailRequest = z.object({
  code: z.string().trim().min(1).max(32),
});
export type VerifyEmailRequest = z.infer<typeof VerifyEmailRequest>;

/** `POST /api/auth/password/reset-start`: answered 202 whether or not an account has this address. */
export const ResetStartRequest = z.object({
  email: Email,
});
export type ResetStartRequest = z.infer<typeof ResetStartRequest>;

/** `POST /api/auth/password/reset`: the token from the mailed link and the new password; answers 200 `AuthResponse`. */
export const ResetPasswordRequest = z.object({
  token: z.string().min(1).max(256),
  password: Password,
});
export type ResetPasswordRequest = z.infer<typeof ResetPasswordRequest>;

/** The body of a 202 (verify-start, reset-start): nothing to read, the mail is on its way. */
export const AcceptedResponse = z.object({});
export type AcceptedResponse = z.infer<typeof AcceptedResponse>;

/** `PATCH /api/me`: any of the three; answers 200 `MeResponse`. */
export const ProfileRequest = z
  .object({
    displayName: DisplayName.optional(),
    languages: Languages.optional(),
    bio: Bio.optional(),
  })
  .refine(
    (body) => body.displayName !== undefined || body.languages !== undefined || body.bio !== undefined,
    'nothing to change: send displayName, languages or bio',
  );
export type ProfileRequest = z.infer<typeof ProfileRequest>;

/** `GET /api/stats` (no session needed): cluster-wide, at most a second stale. */
export const StatsResponse = z.object({
  /** Users with a live socket. */
  online: z.number().int().nonnegative(),
  /** Users queued to be matched. */
  waiting: z.number().int().nonnegative(),
});
export type StatsResponse = z.infer<typeof StatsResponse>;

export { OwnUser };
