import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { VERIFY_CODE_TTL_MS, VERIFY_CODES_PER_DAY, VERIFY_MAX_TRIES } from '@small-talk/protocol';
import { AppError } from '../errors.js';
import type { Mailer } from '../mail/mailer.js';
import { verificationMail } from '../mail/messages.js';
import { toIso, type Database } from '../storage/schema.js';
import { MailSends } from './mail-sends.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Proves a member reads the address it registered with: a 6-digit code mailed there, entered in
 * the app. One live code per member (a new one replaces it), 15 minutes, 5 wrong tries, 5 codes a
 * day. Codes are kept as SHA-256 with the member's id: a million codes hash in a blink, so what
 * protects a code is the 5-try limit, and the hash keeps a copy of the table from being read.
 */
export class EmailVerification {
  private readonly sends: MailSends;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly mailer: Mailer,
    private readonly publicUrl: string,
  ) {
    this.sends = new MailSends(db);
  }

  /**
   * Mails a new code to the member's address, replacing any live one; `rate_limited` after
   * VERIFY_CODES_PER_DAY in 24 hours. Guests have no address: `forbidden`.
   */
  async start(userId: string, now = new Date()): Promise<void> {
    const user = await this.db
      .selectFrom('users')
      .select(['kind', 'email'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!user || user.kind !== 'member' || !user.email) {
      throw new AppError('forbidden', 'only a member has an e-mail address to verify: create an account first');
    }
    const sent = await this.sends.since('verify', userId, new Date(now.getTime() - DAY_MS));
    if (sent >= VERIFY_CODES_PER_DAY) {
      throw new AppError(
        'rate_limited',
        `at most ${VERIFY_CODES_PER_DAY} codes a day: use the last one, or try again tomorrow`,
      );
    }
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const row = {
      code_hash: codeHash(userId, code),
      expires_at: new Date(now.getTime() + VERIFY_CODE_TTL_MS).toISOString(),
      failed_tries: 0,
      created_at: now.toISOString(),
    };
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('email_codes')
        .values({ user_id: userId, ...row })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(row))
        .execute();
      await this.sends.record('verify', userId, now, tx);
    });
    this.mailer.send(verificationMail(user.email, code, this.publicUrl));
  }

  /**
   * Marks the member's address verified when `code` is its live code. Wrong or expired:
   * `invalid_code`. The VERIFY_MAX_TRIES-th wrong try kills the code: that try and every later
   * one, the right code included, get `rate_limited` until a new code is asked for.
   */
  async verify(userId: string, code: string, now = new Date()): Promise<void> {
    // The try is counted before the code is compared, in one statement: guesses sent all at
    // once cannot each read a count below the limit and be compared.
    const row = await this.db
      .updateTable('email_codes')
      .set((eb) => ({ failed_tries: eb('failed_tries', '+', 1) }))
      .where('user_id', '=', userId)
      .where('failed_tries', '<', VERIFY_MAX_TRIES)
      .returning(['code_hash', 'expires_at', 'failed_tries'])
      .executeTakeFirst();
    if (!row) {
      const dead = await this.db
        .selectFrom('email_codes')
        .select('user_id')
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (dead)
        throw new AppError(
          'rate_limited',
          `${VERIFY_MAX_TRIES} wrong codes: this one no longer works, ask for a new one`,
        );
      throw new AppError('invalid_code', 'no code was sent, or it was already used: ask for a new one');
    }
    const live = new Date(toIso(row.expires_at)).getTime() > now.getTime();
    if (live && same(row.code_hash, codeHash(userId, code))) {
      await this.db.transaction().execute(async (tx) => {
        await tx.updateTable('users').set({ email_verified: 1 }).where('id', '=', userId).execute();
        await tx.deleteFrom('email_codes').where('user_id', '=', userId).execute();
      });
      return;
    }
    if (!live) throw new AppError('invalid_code', 'this code has expired: ask for a new one');
    if (Number(row.failed_tries) >= VERIFY_MAX_TRIES) {
      throw new AppError(
        'rate_limited',
        `${VERIFY_MAX_TRIES} wrong codes: this one no longer works, ask for a new one`,
      );
    }
    throw new AppError('invalid_code', 'wrong code: check the last mail we sent');
  }
}

function codeHash(userId: string, code: string): string {
  return createHash('sha256').update(`${userId}\n${code.trim()}`).digest('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
