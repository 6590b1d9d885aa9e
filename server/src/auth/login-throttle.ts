import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import { toIso, type Database } from '../storage/schema.js';

/** Wrong passwords allowed before the backoff starts. */
export const FREE_FAILURES = 5;
/** Failures are forgotten once this long has passed without another. */
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;
/** The first wait after the free failures; each further failure doubles it. */
export const FIRST_BACKOFF_MS = 1000;
/** The longest wait. */
export const MAX_BACKOFF_MS = 15 * 60 * 1000;
/**
 * Failures for one e-mail from every address together before that e-mail is slowed everywhere:
 * high enough that one attacker address (or three) cannot lock the owner out from their own,
 * low enough that many addresses cannot guess on without the backoff.
 */
export const FREE_FAILURES_ALL_ADDRESSES = 20;

/**
 * Slows password guessing against one account. Wrong passwords are counted twice: for the
 * e-mail from this client address (5 free, then 1 s, 2 s, 4 s … up to 15 min between tries),
 * and for the e-mail from everywhere (20 free, then the same backoff). Counts live in the
 * database, so every process of a cluster sees the same ones; keys are hashed, so the table
 * is no list of who tried which e-mail from where.
 */
export class LoginThrottle {
  constructor(private readonly db: Kysely<Database>) {}

  /** Milliseconds until an attempt for `email` from `address` may be tried; 0 when it may now. */
  async waitMs(email: string, address: string, now = Date.now()): Promise<number> {
    const keys = keysOf(email, address);
    const rows = await this.db
      .selectFrom('login_failures')
      .select(['key', 'failures', 'last_failed_at'])
      .where('key', 'in', [keys.pair, keys.email])
      .execute();
    let wait = 0;
    for (const row of rows) {
      const free = row.key === keys.pair ? FREE_FAILURES : FREE_FAILURES_ALL_ADDRESSES;
      const last = new Date(toIso(row.last_failed_at)).getTime();
      if (now - last >= FAILURE_WINDOW_MS || row.failures < free) continue;
      const backoff = Math.min(FIRST_BACKOFF_MS * 2 ** (row.failures - free), MAX_BACKOFF_MS);
      wait = Math.max(wait, last + backoff - now);
    }
    return wait;
  }

  /** Counts a wrong password: a failure after 15 quiet minutes starts the count again. */
  async failed(email: string, address: string, now = Date.now()): Promise<void> {
    const keys = keysOf(email, address);
    const at = new Date(now).toISOString();
    const quietSince = new Date(now - FAILURE_WINDOW_MS).toISOString();
    for (const key of [keys.pair, keys.email]) {
      await this.db
        .insertInto('login_failures')
        .values({ key, failures: 1, last_failed_at: at })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => ({
            failures: eb
              .case()
              .when('login_failures.last_failed_at', '<=', quietSince)
              .then(1)
              .else(eb('login_failures.failures', '+', 1))
              .end(),
            last_failed_at: at,
          })),
        )
        .execute();
    }
  }

  /** A right password clears both counts: the owner is back, and guesses before are moot. */
  async succeeded(email: string, address: string): Promise<void> {
    const keys = keysOf(email, address);
    await this.db.deleteFrom('login_failures').where('key', 'in', [keys.pair, keys.email]).execute();
  }
}

/** A login refused by the backoff: 429 `rate_limited`, and the route adds `retry-after`. */
export class LoginThrottled extends AppError {
  constructor(readonly retryAfterS: number) {
    super('rate_limited', `too many wrong passwords for this e-mail; retry in ${retryAfterS} s`);
  }
}

function keysOf(email: string, address: string): { email: string; pair: string } {
  const hash = (text: string) => createHash('sha256').update(text).digest('base64url');
  return { email: hash(`email\n${email}`), pair: hash(`pair\n${email}\n${address}`) };
}
