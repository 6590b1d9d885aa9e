import type { Kysely } from 'kysely';
import type { Role, StaffUser } from '@small-talk/protocol';
import { AppError } from '../errors.js';
import { shownName } from '../names/display-name.js';
import { toIso, type Database } from '../storage/schema.js';
import { AuditLog, type Actor } from './audit.js';

/** What a role change did: the user as it is now, and the role it had. */
export interface RoleChange {
  user: StaffUser;
  from: Role;
}

/**
 * Who may moderate. A role is a column of the user, read with the session on every request
 * (auth/service.ts), so a change counts at once on every process. Only members hold a role:
 * a guest account is throwaway and has no password to protect it.
 */
export class Roles {
  constructor(private readonly db: Kysely<Database>) {}

  /** By id (`PUT /api/admin/users/:id/role`): 404 for no such user. */
  async set(userId: string, role: Role, actor: Actor, at = new Date()): Promise<RoleChange> {
    return this.change({ column: 'id', value: userId }, role, actor, at, 'no such user');
  }

  /** By e-mail (`npm run admin -- set-role`): 404 for no member with that e-mail. */
  async setByEmail(email: string, role: Role, actor: Actor, at = new Date()): Promise<RoleChange> {
    return this.change(
      { column: 'email', value: email.trim().toLowerCase() },
      role,
      actor,
      at,
      `no member has the e-mail ${email}`,
    );
  }

  private async change(
    find: { column: 'id' | 'email'; value: string },
    role: Role,
    actor: Actor,
    at: Date,
    missing: string,
  ): Promise<RoleChange> {
    // The change and its audit row land together or not at all.
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('users')
        .select(['id', 'display_name', 'kind', 'created_at', 'role'])
        .where(find.column, '=', find.value)
        .executeTakeFirst();
      if (!row) throw new AppError('not_found', missing);
      if (row.kind !== 'member')
        throw new AppError('bad_request', 'only members can have a role: a guest must register first');
      await tx.updateTable('users').set({ role }).where('id', '=', row.id).execute();
      await new AuditLog(tx).write(
        { actor, action: 'set_role', subjectUserId: row.id, detail: { from: row.role, to: role } },
        at,
        tx,
      );
      return {
        user: {
          id: row.id,
          displayName: shownName(row.display_name),
          kind: row.kind,
          createdAt: toIso(row.created_at),
          role,
        },
        from: row.role,
      };
    });
  }
}
