import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { toIso, type Database, type ProcessesTable } from '../storage/schema.js';

/**
 * How often a process without Redis says it is alive. A call its crash left open ends in history
 * at most this long before the process really died; one tiny UPDATE every 5 s costs nothing next
 * to the calls' own writes.
 */
export const ALIVE_EVERY_MS = 5000;
/**
 * A process on another host that has not said it is alive for this long is taken for dead. Twelve
 * missed turns: a process merely stalled (a long GC, a slow disk) must not have its calls closed.
 */
export const GONE_AFTER_MS = 12 * ALIVE_EVERY_MS;

/** Processes of this OS process (tests build several servers in one): alive whatever their pid says. */
const ours = new Set<string>();

/**
 * Ends the calls a process without Redis left open when it died without a drain (SIGKILL, a
 * power cut): its rooms were in its memory, so no grace will ever end them. Each such process has
 * a row in `processes`, touched every ALIVE_EVERY_MS, and each history row names the process that
 * holds its room. At start, and at every touch, the calls of a process that is gone end as
 * `disconnected` at the time it was last alive. A process that stopped cleanly is never taken
 * for dead: its calls wait in its rooms file, and the start that restores them takes them over.
 */
export class Crashes {
  readonly processId = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private touching: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: Logger,
  ) {}

  /** Says this process is alive, takes over the calls its rooms file gave back, and closes dead processes' calls. */
  async start(restoredRoomIds: readonly string[]): Promise<void> {
    ours.add(this.processId);
    await this.touch();
    for (let i = 0; i < restoredRoomIds.length; i += 500) {
      await this.db
        .updateTable('connections')
        .set({ process_id: this.processId })
        .where('id', 'in', restoredRoomIds.slice(i, i + 500))
        .where('ended_at', 'is', null)
        .execute();
    }
    await this.closeCallsOfDead();
    // Clean stops whose calls have all been taken over or ended: nothing is left to wait for.
    await this.db
      .deleteFrom('processes')
      .where('stopped_at', 'is not', null)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('connections')
              .select('connections.id')
              .whereRef('connections.process_id', '=', 'processes.id')
              .where('connections.ended_at', 'is', null),
          ),
        ),
      )
      .execute();
    this.timer = setInterval(() => {
      this.touching = this.touch()
        .then(() => this.closeCallsOfDead())
        .catch((error: unknown) => this.log.warn({ err: error }, 'could not say this process is alive'));
    }, ALIVE_EVERY_MS);
    this.timer.unref();
  }

  /** A clean stop, once the rooms are saved: this process's open calls are its rooms file's now. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.touching;
    ours.delete(this.processId);
    try {
      await this.db
        .updateTable('processes')
        .set({ stopped_at: new Date().toISOString() })
        .where('id', '=', this.processId)
        .execute();
    } catch (error) {
      // Unmarked, the stop reads as a crash: the next start on this port still takes back the
      // rooms it saved first, and ends only the calls nobody restored.
      this.log.warn({ err: error }, 'could not record a clean stop');
    }
  }

  /** An upsert: a process taken for dead while it stalled comes back as alive. */
  private async touch(): Promise<void> {
    const aliveAt = new Date().toISOString();
    await this.db
      .insertInto('processes')
      .values({ id: this.processId, host: os.hostname(), pid: process.pid, alive_at: aliveAt, stopped_at: null })
      .onConflict((oc) => oc.column('id').doUpdateSet({ alive_at: aliveAt }))
      .execute();
  }

  private async closeCallsOfDead(): Promise<void> {
    const others = await this.db
      .selectFrom('processes')
      .selectAll()
      .where('id', '!=', this.processId)
      .where('stopped_at', 'is', null)
      .execute();
    const now = Date.now();
    for (const dead of others.filter((p) => gone(p, now))) {
      const aliveAt = toIso(dead.alive_at);
      // It was alive when its last call started too: no call ends before it began.
      const closed = await this.db
        .updateTable('connections')
        .set((eb) => ({
          ended_at: eb.case().when('started_at', '>', aliveAt).then(eb.ref('started_at')).else(aliveAt).end(),
          end_reason: 'disconnected',
        }))
        .where('process_id', '=', dead.id)
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      await this.db.deleteFrom('processes').where('id', '=', dead.id).execute();
      const calls = Number(closed.numUpdatedRows);
      if (calls > 0) this.log.warn({ processId: dead.id, calls, aliveAt }, 'closed the calls a dead process left open');
    }
  }
}

/**
 * Dead for sure when it ran on this host and its pid is gone, or is ours (a restarted container
 * is pid 1 again); otherwise dead once it has been silent for GONE_AFTER_MS.
 */
function gone(p: Pick<ProcessesTable, 'id' | 'host' | 'pid' | 'alive_at'>, now: number): boolean {
  if (ours.has(p.id)) return false;
  if (p.host === os.hostname() && (p.pid === process.pid || !running(p.pid))) return true;
  return Date.parse(toIso(p.alive_at)) < now - GONE_AFTER_MS;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
