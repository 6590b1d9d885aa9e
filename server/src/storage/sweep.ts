import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database } from './schema.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** How often the sweep runs, cluster-wide. */
export const SWEEP_EVERY_MS = DAY_MS;
/** How often each process asks for the lease: a process that started after the last sweep still sweeps on time. */
export const SWEEP_CHECK_MS = HOUR_MS;
/** A guest with a call this recent is kept even with no session. */
export const GUEST_HISTORY_KEPT_MS = 30 * DAY_MS;
/** Wrong-password records older than this are forgotten anyway (the backoff never waits longer than 15 minutes). */
export const LOGIN_FAILURES_KEPT_MS = DAY_MS;
/** A declined friend request blocks the asker this long (friends/service.ts), and is kept no longer. */
export const DECLINE_KEPT_MS = 7 * DAY_MS;
/** Mails sent are counted for limits of a day at most (codes per member per day, resets per address per hour), and kept no longer. */
export const MAIL_SENDS_KEPT_MS = DAY_MS;

export interface SweepResult {
  sessions: number;
  guests: number;
  connections: number;
  loginFailures: number;
  declines: number;
  mailSends: number;
  /** E-mail codes past their 15 minutes, and reset links used or past their 30. */
  emailCodes: number;
  passwordResets: number;
}

/**
 * Takes the lease of the cluster-wide job `name` (a row of `sweeps`): true for exactly one process
 * per `everyMs` however many race for it, because the UPDATE moves the time forward only where it
 * is still `everyMs` old, and the database runs one such UPDATE at a time (SQLite's write lock,
 * PostgreSQL's row lock).
 */
export async function takeLease(
  db: Kysely<Database>,
  name: 'daily' | 'evidence',
  everyMs: number,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('sweeps')
    .set({ last_run_at: now.toISOString() })
    .where('name', '=', name)
    .where('last_run_at', '<=', new Date(now.getTime() - everyMs).toISOString())
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The daily sweep's lease (see takeLease). */
export function takeSweepLease(db: Kysely<Database>, now: Date): Promise<boolean> {
  return takeLease(db, 'daily', SWEEP_EVERY_MS, now);
}

/**
 * Deletes what nobody can use any more: expired sessions; guests with no session (no way back in),
 * no friends (nobody lists them), no call in the last 30 days, and none with anyone who can still
 * sign in (a member, or a guest with a session), so no reader's history loses a row. The
 * connections deleted with such a guest are read by nobody. Also old wrong-password records,
 * declines past their 7 days, mail counts past their day, and dead e-mail codes and reset links.
 */
export async function sweep(db: Kysely<Database>, now: Date): Promise<SweepResult> {
  const nowIso = now.toISOString();
  const sessions = await db.deleteFrom('sessions').where('expires_at', '<=', nowIso).executeTakeFirst();

  const recent = new Date(now.getTime() - GUEST_HISTORY_KEPT_MS).toISOString();
  const stale = (eb: ExpressionBuilder<Database & { u: Database['users'] }, 'u'>) =>
    eb.and([
      eb('u.kind', '=', 'guest'),
      eb.not(eb.exists(eb.selectFrom('sessions as s').select('s.token_hash').whereRef('s.user_id', '=', 'u.id'))),
      eb.not(
        eb.exists(
          eb
            .selectFrom('friendships as f')
            .select('f.id')
            .where((w) => w.or([w('f.user_a', '=', w.ref('u.id')), w('f.user_b', '=', w.ref('u.id'))])),
        ),
      ),
      eb.not(
        eb.exists(
          eb
            .selectFrom('connections as c')
            .select('c.id')
            .where((w) => w.or([w('c.user_a', '=', w.ref('u.id')), w('c.user_b', '=', w.ref('u.id'))]))
            .where((w) =>
              w.or([
                w('c.started_at', '>', recent),
                // The peer can still read this row: a member, or anyone with a session.
                w.exists(
                  w
                    .selectFrom('users as p')
                    .select('p.id')
                    .where((v) => v.or([v('p.id', '=', v.ref('c.user_a')), v('p.id', '=', v.ref('c.user_b'))]))
                    .whereRef('p.id', '<>', 'u.id')
                    .where((v) =>
                      v.or([
                        v('p.kind', '=', 'member'),
                        v.exists(
                          v.selectFrom('sessions as ps').select('ps.token_hash').whereRef('ps.user_id', '=', 'p.id'),
                        ),
                      ]),
                    ),
                ),
              ]),
            ),
        ),
      ),
    ]);
  const staleGuests = db.selectFrom('users as u').select('u.id').where(stale);

  // Read once, deleted in chunks: a statement per 500 keeps under both databases' parameter limits.
  const ids = (await staleGuests.execute()).map((row) => row.id);
  let guests = 0;
  let connections = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await db.transaction().execute(async (tx) => {
      // Checked again inside the transaction: a guest who signed in or made a friend since the
      // read above keeps its account and its history.
      const still = (
        await tx.selectFrom('users as u').select('u.id').where('u.id', 'in', chunk).where(stale).execute()
      ).map((row) => row.id);
      if (still.length === 0) return;
      const rows = await tx
        .deleteFrom('connections')
        .where((eb) => eb.or([eb('user_a', 'in', still), eb('user_b', 'in', still)]))
        .executeTakeFirst();
      const users = await tx.deleteFrom('users').where('id', 'in', still).executeTakeFirst();
      connections += Number(rows.numDeletedRows);
      guests += Number(users.numDeletedRows);
    });
  }

  const loginFailures = await db
    .deleteFrom('login_failures')
    .where('last_failed_at', '<', new Date(now.getTime() - LOGIN_FAILURES_KEPT_MS).toISOString())
    .executeTakeFirst();
  const declines = await db
    .deleteFrom('friend_declines')
    .where('declined_at', '<=', new Date(now.getTime() - DECLINE_KEPT_MS).toISOString())
    .executeTakeFirst();
  const mailSends = await db
    .deleteFrom('mail_sends')
    .where('sent_at', '<=', new Date(now.getTime() - MAIL_SENDS_KEPT_MS).toISOString())
    .executeTakeFirst();
  const emailCodes = await db.deleteFrom('email_codes').where('expires_at', '<=', nowIso).executeTakeFirst();
  const passwordResets = await db
    .deleteFrom('password_resets')
    .where((eb) => eb.or([eb('expires_at', '<=', nowIso), eb('used_at', 'is not', null)]))
    .executeTakeFirst();
  return {
    sessions: Number(sessions.numDeletedRows),
    guests,
    connections,
    loginFailures: Number(loginFailures.numDeletedRows),
    declines: Number(declines.numDeletedRows),
    mailSends: Number(mailSends.numDeletedRows),
    emailCodes: Number(emailCodes.numDeletedRows),
    passwordResets: Number(passwordResets.numDeletedRows),
  };
}

/**
 * Runs the sweep at start and then checks the lease every hour; whichever process of the cluster
 * takes it sweeps. Timers are unref'd: they never keep a process alive.
 */
export function startSweeper(
  db: Kysely<Database>,
  report: { swept(result: SweepResult): void; failed(error: unknown): void },
): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = (async () => {
      try {
        const now = new Date();
        if (stopped || !(await takeSweepLease(db, now))) return;
        report.swept(await sweep(db, now));
      } catch (error) {
        report.failed(error);
      }
    })();
  };
  tick();
  const timer = setInterval(tick, SWEEP_CHECK_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      // Let a sweep under way finish before the database closes under it.
      await running;
    },
  };
}
