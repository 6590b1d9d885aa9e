import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { LanguageCode, type Consent, type Restriction, type RestrictionKind, type Role } from '@small-talk/protocol';
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

/** The consents and restrictions tables: answers to the rules screen, and restrictions with their history. */
export class Standing {
  /** One per database: the prepared standing query is compiled for its dialect. */
  private readonly standingQuery = new PreparedQuery(standingOf);

  constructor(private readonly db: Kysely<Database>) {}

  /**
   * All of it in one query: every join and call asks (Safety.mayMeet), so it is one round trip
   * to the database, not three. A user that does not exist stands as a plain user with nothing.
   */
  async of(userId: string, now = new Date()): Promise<UserStanding> {
    const [row] = await this.standingQuery.execute(this.db, { userId, now: now.toISOString() });
    if (!row) return { ...NOBODY };
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

/** Role, the last accepted rules and the restriction in force, for one user, in one statement. */
function standingOf(db: Kysely<Database>, { userId, now }: { userId: string; now: string }) {
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
    .where('u.id', '=', userId);
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
