import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { LanguageCode, type Consent, type Restriction, type RestrictionKind, type Role } from '@small-talk/protocol';
import type { Delivery, MessageBus } from '../storage/bus/bus.js';
import { PreparedQuery } from '../storage/prepared.js';
import { toIso, type Database, type RestrictionsTable } from '../storage/schema.js';

/**
 * A user's standing: the rules it last accepted, what (if anything) keeps it from meeting people,
 * its role, whether its e-mail is verified, and the profile it is matched by.
 */
export interface UserStanding {
  consent: Consent | null;
  restriction: Restriction | null;
  role: Role;
  emailVerified: boolean;
  languages: LanguageCode[];
  bio: string;
}

const NOBODY: UserStanding = {
  consent: null,
  restriction: null,
  role: 'user',
  emailVerified: false,
  languages: [],
  bio: '',
};

/**
 * Most users one standing read asks for. A burst is read in pieces of this size as it arrives,
 * not all at the end of the turn: thousands of joins can land in one turn, and the first of them
 * should be matched while the rest are still being read off their sockets.
 */
const READ_AT_ONCE = 128;

/** Callers waiting for one user's standing. */
type Waiting = Array<{ resolve: (standing: UserStanding) => void; reject: (error: unknown) => void }>;

/** The bus state (see `Delivery.stateKey`) that tells a socket its user's standing changed. */
export const STANDING_CHANGED = 'standing';

/**
 * Tells the user's socket, on whichever process it is, that what its standing holds changed: the
 * socket drops the standing it kept (ClientSocket.allowedStanding), and its next join or call
 * reads the database again. Called after the commit of every write that could refuse a kept
 * standing or change what a join takes from it (a restriction, an answer to the rules screen,
 * languages or bio): a socket that read before the commit would keep what it read until it
 * closed. Lifting a restriction, verifying an e-mail and a role change need not tell: a socket
 * keeps only a standing that was allowed, and a join or call takes only languages and bio from it.
 */
export function tellStandingChanged(bus: MessageBus, userId: string): void {
  // A state, so a user away within its grace is told once however often it changed, and the
  // news never counts toward what is held for it. The socket sends nothing for it.
  const news: Delivery = { text: '', stateKey: STANDING_CHANGED };
  bus.deliver(userId, news);
}

/** The consents and restrictions tables: answers to the rules screen, and restrictions with their history. */
export class Standing {
  /**
   * One prepared read per batch size, each a power of two (a batch is padded up to one), so a
   * burst of any size runs a few statements whose text the database has already prepared.
   */
  private readonly readsBySize = new Map<number, PreparedQuery<Record<string, string>, StandingRow>>();
  /** Users whose standing was asked for in this turn of the event loop, with who asked. */
  private asked = new Map<string, Waiting>();
  private readScheduled: NodeJS.Immediate | null = null;

  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Every join and call asks (Safety.mayMeet), so the standings asked for in one turn of the
   * event loop are read together, up to READ_AT_ONCE at a time: a few statements for a burst of
   * thousands of joins instead of one each. Nothing is kept after the read: each caller gets
   * what the database held after it asked, so a restriction or consent recorded before then is
   * seen. A user that does not exist stands as a plain user with nothing.
   */
  of(userId: string): Promise<UserStanding> {
    return new Promise((resolve, reject) => {
      let waiting = this.asked.get(userId);
      if (!waiting) this.asked.set(userId, (waiting = []));
      waiting.push({ resolve, reject });
      if (this.asked.size >= READ_AT_ONCE) this.readAsked();
      else this.readScheduled ??= setImmediate(() => this.readAsked());
    });
  }

  private readAsked(): void {
    if (this.readScheduled) clearImmediate(this.readScheduled);
    this.readScheduled = null;
    const asked = this.asked;
    this.asked = new Map();
    const userIds = [...asked.keys()];
    this.read(userIds, new Date().toISOString()).then(
      (standings) => {
        // Each caller its own copy: two asking for one user in the same turn share nothing.
        for (const [userId, waiting] of asked) {
          const standing = standings.get(userId) ?? NOBODY;
          for (const { resolve } of waiting) resolve({ ...standing, languages: [...standing.languages] });
        }
      },
      (error: unknown) => {
        for (const waiting of asked.values()) for (const { reject } of waiting) reject(error);
      },
    );
  }

  private async read(userIds: readonly string[], now: string): Promise<Map<string, UserStanding>> {
    let size = 1;
    while (size < userIds.length) size *= 2;
    let query = this.readsBySize.get(size);
    if (!query) {
      const names = Array.from({ length: size }, (_, i) => `user${i}`);
      query = new PreparedQuery((db, args: Record<string, string>) =>
        standingsOf(
          db,
          names.map((name) => args[name]!),
          args.now!,
        ),
      );
      this.readsBySize.set(size, query);
    }
    const args: Record<string, string> = { now };
    // Padded with the last user again: the same text for every batch of this size.
    for (let i = 0; i < size; i++) args[`user${i}`] = userIds[Math.min(i, userIds.length - 1)]!;
    const rows = await query.execute(this.db, args);
    return new Map(rows.map((row) => [row.standing_of, toStanding(row)]));
  }

  /** The restriction in force: not lifted and not run out. The newest wins when there are several. */
  async restriction(userId: string, now = new Date()): Promise<Restriction | null> {
    const row = await this.db
      .selectFrom('restrictions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('lifted_at', 'is', null)
      .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', now.toISOString())]))
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toRestriction(row) : null;
  }

  async consent(userId: string): Promise<Consent | null> {
    const row = await this.db
      .selectFrom('consents')
      .select(['rules_version', 'created_at'])
      .where('user_id', '=', userId)
      .where('outcome', '=', 'accepted')
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { rulesVersion: row.rules_version, at: toIso(row.created_at) } : null;
  }

  async recordConsent(
    userId: string,
    answer: { rulesVersion: number; birthYear: number; outcome: 'accepted' | 'underage' },
    at: Date,
  ): Promise<void> {
    await this.db
      .insertInto('consents')
      .values({
        id: randomUUID(),
        user_id: userId,
        rules_version: answer.rulesVersion,
        birth_year: answer.birthYear,
        outcome: answer.outcome,
        created_at: at.toISOString(),
      })
      .execute();
  }

  async restrict(
    userId: string,
    restriction: { kind: RestrictionKind; reason: string; until: Date | null; automated: boolean; appealable: boolean },
    at: Date,
  ): Promise<Restriction> {
    const row: RestrictionsTable = {
      id: randomUUID(),
      user_id: userId,
      kind: restriction.kind,
      reason: restriction.reason,
      until: restriction.until?.toISOString() ?? null,
      automated: restriction.automated ? 1 : 0,
      appealable: restriction.appealable ? 1 : 0,
      created_at: at.toISOString(),
      lifted_at: null,
    };
    await this.db.insertInto('restrictions').values(row).execute();
    return toRestriction(row);
  }
}

/** Role, the last accepted rules and the restriction in force, for each of `userIds`, in one statement. */
function standingsOf(db: Kysely<Database>, userIds: readonly string[], now: string) {
  return db
    .selectFrom('users as u')
    .leftJoin('restrictions as r', (join) =>
      join.on('r.id', '=', (eb) =>
        eb
          .selectFrom('restrictions as x')
          .select('x.id')
          .whereRef('x.user_id', '=', 'u.id')
          .where('x.lifted_at', 'is', null)
          .where((w) => w.or([w('x.until', 'is', null), w('x.until', '>', now)]))
          .orderBy('x.created_at', 'desc')
          .limit(1),
      ),
    )
    .select((eb) => [
      'u.id as standing_of',
      'u.role',
      'u.email_verified',
      'u.languages',
      'u.bio',
      eb
        .selectFrom('consents as c')
        .select('c.rules_version')
        .whereRef('c.user_id', '=', 'u.id')
        .where('c.outcome', '=', 'accepted')
        .orderBy('c.created_at', 'desc')
        .limit(1)
        .as('rules_version'),
      eb
        .selectFrom('consents as c')
        .select('c.created_at')
        .whereRef('c.user_id', '=', 'u.id')
        .where('c.outcome', '=', 'accepted')
        .orderBy('c.created_at', 'desc')
        .limit(1)
        .as('consent_at'),
      'r.id',
      'r.user_id',
      'r.kind',
      'r.reason',
      'r.until',
      'r.automated',
      'r.appealable',
      'r.created_at',
      'r.lifted_at',
    ])
    .where('u.id', 'in', userIds);
}

type StandingRow = Awaited<ReturnType<ReturnType<typeof standingsOf>['execute']>>[number];

function toStanding(row: StandingRow): UserStanding {
  const consent =
    row.rules_version === null || row.consent_at === null
      ? null
      : { rulesVersion: Number(row.rules_version), at: toIso(row.consent_at) };
  const restriction = row.id === null ? null : toRestriction(row as RestrictionsTable);
  return {
    consent,
    restriction,
    role: row.role,
    emailVerified: Number(row.email_verified) === 1,
    languages: parseLanguages(row.languages),
    bio: row.bio,
  };
}

export function toRestriction(row: RestrictionsTable): Restriction {
  return {
    id: row.id,
    kind: row.kind,
    reason: row.reason,
    until: row.until === null ? null : toIso(row.until),
    // PostgreSQL may hand integers back as strings or numbers depending on the type; both compare.
    automated: Number(row.automated) === 1,
    appealable: Number(row.appealable) === 1,
  };
}

/** The users.languages column: a JSON array of codes. Anything else (a hand-edited row) reads as none. */
export function parseLanguages(json: string): LanguageCode[] {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed)
      ? parsed.filter((code): code is LanguageCode => LanguageCode.safeParse(code).success)
      : [];
  } catch {
    return [];
  }
}
