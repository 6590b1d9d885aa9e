import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type SqlDialect = 'sqlite' | 'postgres';

const SEED_CATEGORIES: ReadonlyArray<[slug: string, name: string]> = [
  ['music', 'Music'],
  ['movies', 'Movies'],
  ['books', 'Books'],
  ['sports', 'Sports'],
  ['gaming', 'Gaming'],
  ['travel', 'Travel'],
  ['food', 'Food'],
  ['tech', 'Tech'],
  ['art', 'Art'],
  ['languages', 'Languages'],
];

/**
 * The database as a migration sees it: the schema as it was when that migration was written, which
 * is not today's `Database` type (Kysely's migration guide types it as `Kysely<any>` for this reason).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration's schema is its own era's, not Database
type Then = any;

/** Migrations live in code so that the built server carries them; each runs once, in name order. */
export function migrations(dialect: SqlDialect): MigrationProvider {
  const timestamp = dialect === 'postgres' ? 'timestamptz' : 'text';
  const all: Record<string, Migration> = {
    '0001_core': {
      async up(db: Kysely<Then>) {
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('display_name', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('guest', 'member')`))
          .addColumn('email', 'text', (c) => c.unique())
          .addColumn('password_hash', 'text')
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('sessions')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('expires_at', timestamp, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

        await db.schema
          .createTable('categories')
          .addColumn('slug', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db
          .insertInto('categories')
          .values(SEED_CATEGORIES.map(([slug, name], position) => ({ slug, name, position })))
          .execute();

        await db.schema
          .createTable('connections')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_a', 'text', (c) => c.notNull().references('users.id'))
          .addColumn('user_b', 'text', (c) => c.notNull().references('users.id'))
          .addColumn('category', 'text', (c) => c.references('categories.slug'))
          .addColumn('started_at', timestamp, (c) => c.notNull())
          .addColumn('ended_at', timestamp)
          .addColumn('end_reason', 'text', (c) => c.check(sql`end_reason in ('left', 'disconnected')`))
          .addCheckConstraint('connections_two_people', sql`user_a <> user_b`)
          .execute();
        await db.schema.createIndex('connections_user_a').on('connections').columns(['user_a', 'started_at']).execute();
        await db.schema.createIndex('connections_user_b').on('connections').columns(['user_b', 'started_at']).execute();
      },
    },
    '0002_friendships': {
      async up(db: Kysely<Then>) {
        // One row per pair, stored with user_a < user_b: the unique key then makes a second row
        // for the same two people impossible whoever asked, and the order check rules out self.
        await db.schema
          .createTable('friendships')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_a', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('user_b', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('requested_by', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'accepted')`))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('accepted_at', timestamp)
          .addUniqueConstraint('friendships_one_per_pair', ['user_a', 'user_b'])
          // Byte order on both databases, as the server orders the two ids (PostgreSQL's default
          // collation would weigh dashes differently).
          .addCheckConstraint(
            'friendships_ordered_pair',
            dialect === 'postgres' ? sql`user_a < user_b collate "C"` : sql`user_a < user_b`,
          )
          .addCheckConstraint('friendships_asked_by_member', sql`requested_by in (user_a, user_b)`)
          .execute();
        await db.schema.createIndex('friendships_user_b').on('friendships').column('user_b').execute();
      },
    },
    '0003_sessions_guests': {
      async up(db: Kysely<Then>) {
        // Wrong passwords per key (a hash of the e-mail, or of the e-mail and the client address):
        // in the database, so every process of a cluster counts the same guesses, and a restart
        // forgets nothing.
        await db.schema
          .createTable('login_failures')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('failures', 'integer', (c) => c.notNull())
          .addColumn('last_failed_at', timestamp, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('login_failures_last').on('login_failures').column('last_failed_at').execute();

        // A declined friend request, kept apart from `friendships` so that the pair's row can
        // still go (the decliner may ask later) and its check constraints stay as they are.
        await db.schema
          .createTable('friend_declines')
          .addColumn('asker', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('decliner', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('declined_at', timestamp, (c) => c.notNull())
          .addPrimaryKeyConstraint('friend_declines_pair', ['asker', 'decliner'])
          .execute();
        await db.schema.createIndex('friend_declines_decliner').on('friend_declines').column('decliner').execute();

        // The lease of the daily sweep: one row per job, taken by the one process whose UPDATE
        // moves its time forward.
        await db.schema
          .createTable('sweeps')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('last_run_at', timestamp, (c) => c.notNull())
          .execute();
        await db
          .insertInto('sweeps')
          .values({ name: 'daily', last_run_at: new Date(0).toISOString() })
          .execute();
        await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
      },
    },
    '0004_safety': {
      async up(db: Kysely<Then>) {
        await db.schema
          .createTable('consents')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('rules_version', 'integer', (c) => c.notNull())
          .addColumn('birth_year', 'integer', (c) => c.notNull())
          .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('accepted', 'underage')`))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('consents_user').on('consents').columns(['user_id', 'created_at']).execute();

        // One row per blocker and blocked: the truth every process and every restart reads (the
        // match store only mirrors it). Both directions are looked up, so both ids are indexed.
        await db.schema
          .createTable('blocks')
          .addColumn('blocker_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('blocked_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addPrimaryKeyConstraint('blocks_pk', ['blocker_id', 'blocked_id'])
          .addCheckConstraint('blocks_not_self', sql`blocker_id <> blocked_id`)
          .execute();
        await db.schema.createIndex('blocks_blocked').on('blocks').column('blocked_id').execute();

        // Built for the moderators' side too (next: who decided, on which case, appeals): those
        // come as new columns and tables that refer to these rows, never by rewriting them.
        await db.schema
          .createTable('restrictions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('underage', 'suspended', 'banned')`))
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('until', timestamp)
          .addColumn('automated', 'integer', (c) => c.notNull().check(sql`automated in (0, 1)`))
          .addColumn('appealable', 'integer', (c) => c.notNull().check(sql`appealable in (0, 1)`))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('lifted_at', timestamp)
          .execute();
        await db.schema
          .createIndex('restrictions_user')
          .on('restrictions')
          .columns(['user_id', 'created_at'])
          .execute();

        // A report about a connection: who reported whom, why, and what a moderator decided.
        // `connection_id` names a history row but holds no key to it: a report outlives the row
        // (the sweep deletes stale guests' history) so a decision can still be reviewed.
        await db.schema
          .createTable('reports')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('reporter_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('reported_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('connection_id', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) =>
            c
              .notNull()
              .check(
                sql`reason in ('nudity', 'sexual', 'minor', 'harassment', 'hate', 'violence', 'self_harm', 'spam', 'illegal', 'other')`,
              ),
          )
          .addColumn('note', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'actioned', 'dismissed')`))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('decided_at', timestamp)
          .addUniqueConstraint('reports_one_per_connection', ['reporter_id', 'connection_id'])
          .addCheckConstraint('reports_not_self', sql`reporter_id <> reported_id`)
          .execute();
        await db.schema.createIndex('reports_reporter').on('reports').columns(['reporter_id', 'created_at']).execute();
        await db.schema.createIndex('reports_reported').on('reports').columns(['reported_id', 'created_at']).execute();

        // Snapshots a reporter attached: only moderators ever read them back.
        await db.schema
          .createTable('report_evidence')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('report_id', 'text', (c) => c.notNull().references('reports.id').onDelete('cascade'))
          .addColumn('image', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
          .addColumn('bytes', 'integer', (c) => c.notNull())
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('report_evidence_report').on('report_evidence').column('report_id').execute();
      },
    },
    '0005_moderation': {
      async up(db: Kysely<Then>) {
        // Every user has a role; the first admin is made with `npm run admin -- set-role`.
        await db.schema
          .alterTable('users')
          .addColumn('role', 'text', (c) =>
            c
              .notNull()
              .defaultTo('user')
              .check(sql`role in ('user', 'moderator', 'admin')`),
          )
          .execute();
        // `appeal`: the short-lived session a banned member gets at login, good for its notices and its appeal only.
        await db.schema
          .alterTable('sessions')
          .addColumn('scope', 'text', (c) =>
            c
              .notNull()
              .defaultTo('full')
              .check(sql`scope in ('full', 'appeal')`),
          )
          .execute();

        // A moderator's decision about a user: the statement of reasons, and what it did.
        // `restriction_id` is the restriction it made (suspend, ban) or lifted (dismiss, restore).
        await db.schema
          .createTable('moderation_actions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('moderator_id', 'text', (c) => c.notNull())
          .addColumn('moderator_name', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) =>
            c.notNull().check(sql`action in ('dismiss', 'warn', 'suspend', 'ban', 'restore')`),
          )
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('until', timestamp)
          .addColumn('restriction_id', 'text')
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('moderation_actions_user')
          .on('moderation_actions')
          .columns(['user_id', 'created_at'])
          .execute();
        await db.schema
          .createIndex('moderation_actions_restriction')
          .on('moderation_actions')
          .column('restriction_id')
          .execute();
        // Which decision settled a report (null while open, or for reports settled before moderation existed).
        await db.schema.alterTable('reports').addColumn('action_id', 'text').execute();
        await db.schema.createIndex('reports_open').on('reports').columns(['status', 'reported_id']).execute();
        await db.schema.createIndex('reports_decided').on('reports').column('decided_at').execute();

        // Statements of reasons to the user they are about (DSA art. 17): what `GET /api/me/notices` lists.
        await db.schema
          .createTable('notices')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('kind', 'text', (c) =>
            c
              .notNull()
              .check(sql`kind in ('warning', 'suspension', 'ban', 'restored', 'appeal_upheld', 'appeal_overturned')`),
          )
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('automated', 'integer', (c) => c.notNull().check(sql`automated in (0, 1)`))
          .addColumn('until', timestamp)
          .addColumn('restriction_id', 'text')
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('notices_user').on('notices').columns(['user_id', 'created_at']).execute();

        // One appeal per restriction, decided by someone other than whoever made the restriction.
        await db.schema
          .createTable('appeals')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('restriction_id', 'text', (c) =>
            c.notNull().unique().references('restrictions.id').onDelete('cascade'),
          )
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'upheld', 'overturned')`))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('decided_at', timestamp)
          .addColumn('decided_by_id', 'text')
          .addColumn('decided_by_name', 'text')
          .addColumn('decision_reason', 'text')
          .execute();
        await db.schema.createIndex('appeals_status').on('appeals').columns(['status', 'created_at']).execute();

        // Append-only: no foreign keys (a cascade would delete rows), and no code updates or deletes them.
        await db.schema
          .createTable('audit_log')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('at', timestamp, (c) => c.notNull())
          .addColumn('actor_id', 'text', (c) => c.notNull())
          .addColumn('actor_name', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('subject_user_id', 'text')
          .addColumn('detail', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
        // And the database itself refuses to change or remove a row, whatever code runs against it.
        if (dialect === 'postgres') {
          await sql`create function audit_log_append_only() returns trigger language plpgsql as $$
            begin raise exception 'audit_log is append-only'; end $$`.execute(db);
          await sql`create trigger audit_log_append_only before update or delete on audit_log
            for each row execute function audit_log_append_only()`.execute(db);
          // Row triggers do not fire on TRUNCATE: a statement trigger refuses it too.
          await sql`create trigger audit_log_no_truncate before truncate on audit_log
            for each statement execute function audit_log_append_only()`.execute(db);
        } else {
          await sql`create trigger audit_log_no_update before update on audit_log
            begin select raise(abort, 'audit_log is append-only'); end`.execute(db);
          await sql`create trigger audit_log_no_delete before delete on audit_log
            begin select raise(abort, 'audit_log is append-only'); end`.execute(db);
        }

        // Every join reads a user's blocks both ways: with both ids in the index, the "blocked by"
        // direction is answered from the index alone, as the primary key answers the other.
        await db.schema
          .createIndex('blocks_blocked_blocker')
          .on('blocks')
          .columns(['blocked_id', 'blocker_id'])
          .execute();
        await db.schema.dropIndex('blocks_blocked').execute();

        // The evidence retention sweep runs on a lease of its own (storage/sweep.ts).
        await db
          .insertInto('sweeps')
          .values({ name: 'evidence', last_run_at: new Date(0).toISOString() })
          .execute();
      },
    },
    '0006_accounts': {
      async up(db: Kysely<Then>) {
        // What a member proved (its e-mail), what it speaks (a JSON array of ISO 639-1 codes, in
        // order of preference) and the line strangers read about it.
        await db.schema
          .alterTable('users')
          .addColumn('email_verified', 'integer', (c) =>
            c
              .notNull()
              .defaultTo(0)
              .check(sql`email_verified in (0, 1)`),
          )
          .execute();
        await db.schema
          .alterTable('users')
          .addColumn('languages', 'text', (c) => c.notNull().defaultTo('[]'))
          .execute();
        await db.schema
          .alterTable('users')
          .addColumn('bio', 'text', (c) => c.notNull().defaultTo(''))
          .execute();

        // The one live e-mail code of a member: a new one replaces it; hashed, like a password.
        await db.schema
          .createTable('email_codes')
          .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
          .addColumn('code_hash', 'text', (c) => c.notNull())
          .addColumn('expires_at', timestamp, (c) => c.notNull())
          .addColumn('failed_tries', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .execute();

        // Password reset links: single use (used_at), short-lived, only their SHA-256 kept.
        await db.schema
          .createTable('password_resets')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('expires_at', timestamp, (c) => c.notNull())
          .addColumn('used_at', timestamp)
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('password_resets_user').on('password_resets').column('user_id').execute();

        // Mails sent, counted for the limits (codes per member per day, resets per address per
        // hour). `subject` is the user id or the SHA-256 of the address; rows older than a day go.
        await db.schema
          .createTable('mail_sends')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('verify', 'reset')`))
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('sent_at', timestamp, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('mail_sends_subject')
          .on('mail_sends')
          .columns(['purpose', 'subject', 'sent_at'])
          .execute();
      },
    },
    '0007_push': {
      async up(db: Kysely<Then>) {
        // Where a device can be woken for a friend's call or request. Tied to the session that
        // registered it: logging out, a ban or a password reset deletes the session and with it
        // (cascade) the token, so a phone that changes hands is not woken for its old owner.
        await db.schema
          .createTable('push_tokens')
          .addColumn('token', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('session_hash', 'text', (c) => c.notNull().references('sessions.token_hash').onDelete('cascade'))
          .addColumn('platform', 'text', (c) => c.notNull().check(sql`platform in ('ios', 'android', 'web')`))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('last_used_at', timestamp)
          .execute();
        await db.schema.createIndex('push_tokens_user').on('push_tokens').column('user_id').execute();
        await db.schema.createIndex('push_tokens_session').on('push_tokens').column('session_hash').execute();
      },
    },
    '0008_call_owners': {
      async up(db: Kysely<Then>) {
        // Each process that keeps its rooms in memory (no Redis), and when it last said it was
        // alive: a call it left open when it was killed ends then (history/crashes.ts).
        await db.schema
          .createTable('processes')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('host', 'text', (c) => c.notNull())
          .addColumn('pid', 'integer', (c) => c.notNull())
          .addColumn('alive_at', timestamp, (c) => c.notNull())
          .addColumn('stopped_at', timestamp)
          .execute();
        // The process whose memory holds the room; null with Redis, where rooms outlive processes.
        await db.schema.alterTable('connections').addColumn('process_id', 'text').execute();
        // Partial: only calls still open are looked up by process, and they are few.
        await db.schema
          .createIndex('connections_open_process')
          .on('connections')
          .column('process_id')
          .where(sql.ref('ended_at'), 'is', null)
          .execute();
      },
    },
  };
  return { getMigrations: async () => all };
}
