import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditAction, AuditEntry } from '@small-talk/protocol';
import { toIso, type Database } from '../storage/schema.js';

/** Who did something, by its name as it was then. */
export interface Actor {
  id: string;
  displayName: string;
}

/**
 * The audit log: one row per decision, appeal decision, role change and evidence view. Rows are
 * only ever inserted; nothing in the code updates or deletes them (a test reads the source to
 * hold that), and the table has no foreign key whose cascade could delete one.
 */
export class AuditLog {
  constructor(private readonly db: Kysely<Database>) {}

  /** Appends a row; `db` may be a transaction, so the row lands with the change it records. */
  async write(
    entry: { actor: Actor; action: AuditAction; subjectUserId: string | null; detail?: Record<string, unknown> },
    at = new Date(),
    db: Kysely<Database> = this.db,
  ): Promise<void> {
    await db
      .insertInto('audit_log')
      .values({
        id: randomUUID(),
        at: at.toISOString(),
        actor_id: entry.actor.id,
        actor_name: entry.actor.displayName,
        action: entry.action,
        subject_user_id: entry.subjectUserId,
        detail: JSON.stringify(entry.detail ?? {}),
      })
      .execute();
  }

  /** Newest first; `before` (an ISO time) for the next page. */
  async list(options: { limit: number; before?: string }): Promise<AuditEntry[]> {
    let query = this.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit);
    if (options.before) query = query.where('at', '<', options.before);
    const rows = await query.execute();
    return rows.map((row) => ({
      id: row.id,
      at: toIso(row.at),
      actor: { id: row.actor_id, displayName: row.actor_name },
      action: row.action as AuditAction,
      subjectUserId: row.subject_user_id,
      detail: JSON.parse(row.detail) as Record<string, unknown>,
    }));
  }
}
