import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { APPEAL_TOKEN_TTL_MS, type Role, type User } from '@small-talk/protocol';
import { AppError } from '../errors.js';
import { ReservedNames, shownName } from '../names/display-name.js';
import { toIso, type Database } from '../storage/schema.js';
import { LoginThrottled, type LoginThrottle } from './login-throttle.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { hashToken, newToken } from './tokens.js';

export interface SignedIn {
  user: User;
  token: string;
}

/** Who a request or socket belongs to, and which session proved it. */
export interface Principal {
  user: User;
  tokenHash: string;
  /** When the session ends by itself (ms since the epoch): a socket opened with it closes then. */
  expiresAt: number;
  /** Read with the session on every request, so a role given or taken counts at once. */
  role: Role;
  /** `appeal`: a banned member's session, good only for its notices and its appeal (moderation/). */
  scope: 'full' | 'appeal';
}

/** The session that took over from an ended one (a guest's upgrade), or null when it was revoked. */
export type Replacement = { tokenHash: string; expiresAt: number } | null;

type UserRow = { id: string; display_name: string; kind: 'guest' | 'member' };

const toUser = (row: UserRow): User => ({ id: row.id, displayName: shownName(row.display_name), kind: row.kind });

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

/** How a socket opened with an ended session closes: absent, as on a logout (4001). */
export type SessionClose = { code: number; reason: string };

/**
 * A banned member gave the right password: no session, but a short-lived appeal session
 * (scope `appeal`) for its notices and its appeal. The route answers 403 `banned` with it.
 */
export class BannedLogin extends Error {
  constructor(
    readonly appealToken: string,
    readonly expiresAt: number,
  ) {
    super('this account is banned');
    this.name = 'BannedLogin';
  }
}

export class Auth {
  private readonly sessionListeners: Array<
    (tokenHash: string, replacement: Replacement, close?: SessionClose) => void
  > = [];
  private readonly reservedNames: ReservedNames;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sessionTtlMs: number,
    private readonly throttle: LoginThrottle,
    /** The operator's RESERVED_NAMES: no user may take one (400 `reserved_name`). */
    reservedNames: readonly string[],
  ) {
    this.reservedNames = new ReservedNames(reservedNames);
  }

  /**
   * Called when a session ends: revoked (`replacement` null), so live sockets opened with it
   * close; or replaced by a new one (guest upgrade), so they carry on under the new session.
   */
  onSessionEnded(listener: (tokenHash: string, replacement: Replacement, close?: SessionClose) => void): void {
    this.sessionListeners.push(listener);
  }

  /** `displayName` has passed the protocol's DisplayName; here it must also not pass for the service. */
  async createGuest(displayName: string): Promise<SignedIn> {
    this.refuseReserved(displayName);
    const user: User = { id: randomUUID(), displayName, kind: 'guest' };
    await this.db
      .insertInto('users')
      .values({
        id: user.id,
        display_name: displayName,
        kind: 'guest',
        email: null,
        password_hash: null,
        created_at: new Date().toISOString(),
      })
      .execute();
    return { user, token: (await this.startSession(user.id)).token };
  }

  /**
   * Creates a member account, or turns the signed-in guest into one in place (same id, so its
   * history stays). A new token replaces the guest's: privileges changed, so the session does too.
   */
  async register(
    input: { email: string; password: string; displayName: string },
    current: Principal | null,
  ): Promise<SignedIn> {
    this.refuseReserved(input.displayName);
    const taken = await this.db.selectFrom('users').select('id').where('email', '=', input.email).executeTakeFirst();
    if (taken) throw new AppError('email_taken', 'an account with this email already exists');
    const passwordHash = await hashPassword(input.password);
    const upgrading = current?.user.kind === 'guest' ? current : null;
    const user: User = { id: upgrading?.user.id ?? randomUUID(), displayName: input.displayName, kind: 'member' };
    try {
      if (upgrading) {
        await this.db
          .updateTable('users')
          .set({ kind: 'member', email: input.email, password_hash: passwordHash, display_name: input.displayName })
          .where('id', '=', user.id)
          .execute();
        await this.db.deleteFrom('sessions').where('token_hash', '=', upgrading.tokenHash).execute();
      } else {
        await this.db
          .insertInto('users')
          .values({
            id: user.id,
            display_name: input.displayName,
            kind: 'member',
            email: input.email,
            password_hash: passwordHash,
            created_at: new Date().toISOString(),
          })
          .execute();
      }
    } catch (error) {
      // Two registrations of one email at once: the unique index decides.
      if (isUniqueViolation(error)) throw new AppError('email_taken', 'an account with this email already exists');
      throw error;
    }
    const session = await this.startSession(user.id);
    if (upgrading)
      this.endSession(upgrading.tokenHash, { tokenHash: hashToken(session.token), expiresAt: session.expiresAt });
    return { user, token: session.token };
  }

  /**
   * Signs a member in. After repeated wrong passwords for the e-mail (from `address`, or from
   * everywhere) an attempt is refused with `rate_limited` before the password is looked at, so
   * the answer is the same whether it was right and whether the account exists.
   */
  async login(email: string, password: string, address: string): Promise<SignedIn> {
    const waitMs = await this.throttle.waitMs(email, address);
    if (waitMs > 0) throw new LoginThrottled(Math.ceil(waitMs / 1000));
    const row = await this.db
      .selectFrom('users')
      .select(['id', 'display_name', 'kind', 'password_hash'])
      .where('email', '=', email)
      .executeTakeFirst();
    const ok = await verifyPassword(row?.password_hash ?? null, password);
    if (!row || !ok) {
      await this.throttle.failed(email, address);
      throw new AppError('invalid_credentials', 'wrong email or password');
    }
    await this.throttle.succeeded(email, address);
    if (await this.banned(row.id)) {
      const appeal = await this.startSession(row.id, 'appeal', APPEAL_TOKEN_TTL_MS);
      throw new BannedLogin(appeal.token, appeal.expiresAt);
    }
    return { user: toUser(row), token: (await this.startSession(row.id)).token };
  }

  /**
   * Signs in a user who proved who it is without its password (a password reset link): a new
   * session, or, for a banned member, BannedLogin with an appeal session, exactly as login does.
   */
  async signInAs(userId: string): Promise<SignedIn> {
    const row = await this.db
      .selectFrom('users')
      .select(['id', 'display_name', 'kind'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    if (await this.banned(row.id)) {
      const appeal = await this.startSession(row.id, 'appeal', APPEAL_TOKEN_TTL_MS);
      throw new BannedLogin(appeal.token, appeal.expiresAt);
    }
    return { user: toUser(row), token: (await this.startSession(row.id)).token };
  }

  /** `displayName` as a user sets it later (PATCH /api/me): 400 `reserved_name` as at registration. */
  checkDisplayName(displayName: string): void {
    this.refuseReserved(displayName);
  }

  async logout(principal: Principal): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', principal.tokenHash).execute();
    this.endSession(principal.tokenHash, null);
  }

  /**
   * Deletes every session of the user (a ban), in `db`: the decision's transaction, so the
   * sessions end with the ban or not at all. Pass the hashes to `sessionsEnded` once it commits.
   * HTTP answers 401 at once on every process; sockets are closed by whoever delivers the ban.
   */
  async deleteSessionsOf(userId: string, db: Kysely<Database> = this.db): Promise<string[]> {
    const rows = await db.deleteFrom('sessions').where('user_id', '=', userId).returning('token_hash').execute();
    return rows.map((row) => row.token_hash);
  }

  /** Tells the listeners these sessions ended: sockets of this process opened with them close with `close`. */
  sessionsEnded(tokenHashes: readonly string[], close: SessionClose): void {
    for (const tokenHash of tokenHashes) this.endSession(tokenHash, null, close);
  }

  /** The principal behind a token, or null when it is unknown, revoked or expired. */
  async authenticate(token: string): Promise<Principal | null> {
    const tokenHash = hashToken(token);
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['users.id', 'users.display_name', 'users.kind', 'users.role', 'sessions.expires_at', 'sessions.scope'])
      .where('sessions.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row || new Date(row.expires_at).getTime() <= Date.now()) return null;
    return {
      user: toUser(row),
      tokenHash,
      expiresAt: new Date(toIso(row.expires_at)).getTime(),
      role: row.role,
      scope: row.scope,
    };
  }

  private refuseReserved(displayName: string): void {
    const reserved = this.reservedNames.impersonated(displayName);
    if (reserved !== null)
      throw new AppError('reserved_name', `this display name is reserved: it reads as "${reserved}"`);
  }

  private endSession(tokenHash: string, replacement: Replacement, close?: SessionClose): void {
    for (const listener of this.sessionListeners) listener(tokenHash, replacement, close);
  }

  /** A ban in force (moderation/): its member gets an appeal session at login, never a full one. */
  private async banned(userId: string): Promise<boolean> {
    const now = new Date().toISOString();
    const row = await this.db
      .selectFrom('restrictions')
      .select('id')
      .where('user_id', '=', userId)
      .where('kind', '=', 'banned')
      .where('lifted_at', 'is', null)
      .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', now)]))
      .executeTakeFirst();
    return row !== undefined;
  }

  private async startSession(
    userId: string,
    scope: 'full' | 'appeal' = 'full',
    ttlMs = this.sessionTtlMs,
  ): Promise<{ token: string; expiresAt: number }> {
    const token = newToken();
    const now = Date.now();
    await this.db
      .insertInto('sessions')
      .values({
        token_hash: hashToken(token),
        user_id: userId,
        created_at: new Date(now).toISOString(),
        expires_at: new Date(now + ttlMs).toISOString(),
        scope,
      })
      .execute();
    return { token, expiresAt: now + ttlMs };
  }
}
