import type { Kysely, Updateable } from 'kysely';
import type { ProfileRequest } from '@small-talk/protocol';
import type { Auth } from '../auth/service.js';
import { tellStandingChanged } from '../safety/standing.js';
import type { MessageBus } from '../storage/bus/bus.js';
import type { Database, UsersTable } from '../storage/schema.js';

/**
 * What a user says about itself: its display name, the languages it speaks (what it is matched
 * by, from its next join) and the bio its matches read. Guests may set all three.
 */
export class Profile {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly auth: Auth,
    /** Languages and bio are part of the standing a socket keeps for its joins (tellStandingChanged). */
    private readonly bus: MessageBus,
  ) {}

  /** `change` has passed the protocol's ProfileRequest; a display name must also not pass for the service. */
  async update(userId: string, change: ProfileRequest): Promise<void> {
    const set: Updateable<UsersTable> = {};
    if (change.displayName !== undefined) {
      this.auth.checkDisplayName(change.displayName);
      set.display_name = change.displayName;
    }
    // A JSON array in a text column: the same on SQLite and PostgreSQL, read by safety/standing.ts.
    if (change.languages !== undefined) set.languages = JSON.stringify(change.languages);
    // Already trimmed; empty clears it.
    if (change.bio !== undefined) set.bio = change.bio;
    await this.db.updateTable('users').set(set).where('id', '=', userId).execute();
    if (change.languages !== undefined || change.bio !== undefined) tellStandingChanged(this.bus, userId);
  }
}
