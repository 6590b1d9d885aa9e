import type { Kysely } from 'kysely';
import { CloseCode, RESET_MAILS_PER_HOUR, RESET_TOKEN_TTL_MS, type ErrorEvent } from '@small-talk/protocol';
import { hashPassword } from '../auth/passwords.js';
import type { Auth, SignedIn } from '../auth/service.js';
import { hashToken, newToken } from '../auth/tokens.js';
import { AppError } from '../errors.js';
import type { Mailer } from '../mail/mailer.js';
import { resetMail } from '../mail/messages.js';
import type { MessageBus } from '../storage/bus/bus.js';
import type { Database } from '../storage/schema.js';
import { addressKey, MailSends } from './mail-sends.js';

const HOUR_MS = 60 * 60 * 1000;
const PASSWORD_CHANGED = { code: CloseCode.loggedOut, reason: 'password changed: sign in again' };

export interface PasswordResetDeps {
  db: Kysely<Database>;
  auth: Auth;
  mailer: Mailer;
  bus: MessageBus;
  publicUrl: string;
}

/**
 * "Forgot password": a single-use link, valid RESET_TOKEN_TTL_MS, mailed to the address; only its
 * SHA-256 is kept. Asking never tells whether an account has the address: same answer, same
 * work, and the same hourly limit for every address.
 */
export class PasswordReset {
  private readonly sends: MailSends;

  constructor(private readonly deps: PasswordResetDeps) {
    this.sends = new MailSends(deps.db);
  }

  /**
   * Mails a reset link when `email` is a member's and the address had fewer than
   * RESET_MAILS_PER_HOUR in the last hour. Resolves the same way in every case.
   */
  async start(email: string, now = new Date()): Promise<void> {
    const subject = addressKey(email);
    // The same statements for every address, known or not, so the time taken tells nothing:
    // the count, the lookup, the send recorded (an unknown address uses up its hour too).
    const [sent, user] = await Promise.all([
      this.sends.since('reset', subject, new Date(now.getTime() - HOUR_MS)),
      this.deps.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', email)
        .where('kind', '=', 'member')
        .executeTakeFirst(),
    ]);
    if (sent >= RESET_MAILS_PER_HOUR) return;
    const token = newToken();
    const tokenHash = hashToken(token);
    await this.deps.db.transaction().execute(async (tx) => {
      await this.sends.record('reset', subject, now, tx);
      if (user) {
        await tx
          .insertInto('password_resets')
          .values({
            token_hash: tokenHash,
            user_id: user.id,
            expires_at: new Date(now.getTime() + RESET_TOKEN_TTL_MS).toISOString(),
            used_at: null,
            created_at: now.toISOString(),
          })
          .execute();
      }
    });
    if (user) this.deps.mailer.send(resetMail(email, token, this.deps.publicUrl));
  }

  /**
   * Sets the new password when `token` is a live link (`invalid_token` otherwise), marks the
   * address verified (the user read that mailbox), ends every session of the user and starts a
   * new one. A banned member gets BannedLogin, as from login.
   */
  async reset(token: string, password: string, now = new Date()): Promise<SignedIn> {
    // Hashed before the link is spent: a slow hash must not hold the transaction open.
    const passwordHash = await hashPassword(password);
    const nowIso = now.toISOString();
    const { userId, ended } = await this.deps.db.transaction().execute(async (tx) => {
      // Spent in one statement: of two requests with the same link, one finds it unused.
      const spent = await tx
        .updateTable('password_resets')
        .set({ used_at: nowIso })
        .where('token_hash', '=', hashToken(token))
        .where('used_at', 'is', null)
        .where('expires_at', '>', nowIso)
        .returning('user_id')
        .executeTakeFirst();
      if (!spent)
        throw new AppError(
          'invalid_token',
          'this link is not valid: it was used, has expired, or was mistyped. Ask for a new one',
        );
      await tx
        .updateTable('users')
        .set({ password_hash: passwordHash, email_verified: 1 })
        .where('id', '=', spent.user_id)
        .execute();
      // The other links mailed for the old password are no use now.
      await tx
        .deleteFrom('password_resets')
        .where('user_id', '=', spent.user_id)
        .where('token_hash', '<>', hashToken(token))
        .execute();
      return { userId: spent.user_id, ended: await this.deps.auth.deleteSessionsOf(spent.user_id, tx) };
    });
    // The sessions are gone from the database, so every process answers 401 from now on. The
    // user's socket is told and closed wherever it is, by the bus, as a ban does. The bus goes
    // first: a socket the listeners below had closed already would refuse the frame, and the bus
    // would hold it for the user's next socket, which has the new session.
    const frame: ErrorEvent = {
      type: 'error',
      code: 'unauthenticated',
      message: 'your password was changed: sign in again',
    };
    this.deps.bus.deliver(userId, { text: JSON.stringify(frame), close: PASSWORD_CHANGED });
    // A socket of this process opened with an ended session and not the user's current one.
    this.deps.auth.sessionsEnded(ended, PASSWORD_CHANGED);
    return this.deps.auth.signInAs(userId);
  }
}
