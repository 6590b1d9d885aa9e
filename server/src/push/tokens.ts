import type { Kysely } from 'kysely';
import type { PushPlatform } from '@small-talk/protocol';
import type { Database } from '../storage/schema.js';

export interface PushToken {
  token: string;
  platform: PushPlatform;
}

/**
 * The devices a user can be woken on. Each token belongs to the session that registered it, so
 * it goes when that session ends (logout, ban, password reset, expiry: a foreign key cascade).
 */
export class PushTokens {
  constructor(private readonly db: Kysely<Database>) {}

  /** Registers `token` for this user and session; one registered before moves here (a phone changes hands). */
  async register(userId: string, sessionHash: string, token: PushToken): Promise<void> {
    const now = new Date().toISOString();
    await this.db
      .insertInto('push_tokens')
      .values({
        token: token.token,
        user_id: userId,
        session_hash: sessionHash,
        platform: token.platform,
        created_at: now,
        last_used_at: null,
      })
      .onConflict((c) =>
        c.column('token').doUpdateSet({
          user_id: userId,
          session_hash: sessionHash,
          platform: token.platform,
          created_at: now,
          last_used_at: null,
        }),
      )
      .execute();
  }

  /** False when the user has no such token (someone else's is as unknown as none). */
  async remove(userId: string, token: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('push_tokens')
      .where('token', '=', token)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async of(userId: string): Promise<PushToken[]> {
    return this.db
      .selectFrom('push_tokens')
      .select(['token', 'platform'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }

  /** Tokens the push service says no longer reach a device. */
  async forget(tokens: readonly string[]): Promise<void> {
    if (tokens.length === 0) return;
    await this.db.deleteFrom('push_tokens').where('token', 'in', tokens).execute();
  }

  async used(tokens: readonly string[]): Promise<void> {
    if (tokens.length === 0) return;
    await this.db
      .updateTable('push_tokens')
      .set({ last_used_at: new Date().toISOString() })
      .where('token', 'in', tokens)
      .execute();
  }
}
