import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { MailPurpose } from '../mail/mailer.js';

/**
 * The mail_sends table: how many mails of a kind one subject (a member's id, or the SHA-256 of an
 * address) got lately, for the limits. Rows go after a day (storage/sweep.ts).
 */
export class MailSends {
  constructor(private readonly db: Kysely<Database>) {}

  async since(purpose: MailPurpose, subject: string, since: Date): Promise<number> {
    const row = await this.db
      .selectFrom('mail_sends')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('purpose', '=', purpose)
      .where('subject', '=', subject)
      .where('sent_at', '>', since.toISOString())
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async record(purpose: MailPurpose, subject: string, at: Date, db: Kysely<Database> = this.db): Promise<void> {
    await db
      .insertInto('mail_sends')
      .values({ id: randomUUID(), purpose, subject, sent_at: at.toISOString() })
      .execute();
  }
}

/** An address as mail_sends keys it: its SHA-256, so the table is no list of who asked. */
export function addressKey(email: string): string {
  return createHash('sha256').update(`address\n${email.toLowerCase()}`).digest('base64url');
}
