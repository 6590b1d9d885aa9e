import type { Generated } from 'kysely';

/**
 * Tables as Kysely sees them. Timestamps are ISO 8601 strings on the way in; PostgreSQL hands
 * them back as Date, SQLite as the string, so readers go through `toIso`.
 */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  push_tokens: PushTokensTable;
  categories: CategoriesTable;
  connections: ConnectionsTable;
  processes: ProcessesTable;
  friendships: FriendshipsTable;
  friend_declines: FriendDeclinesTable;
  login_failures: LoginFailuresTable;
  sweeps: SweepsTable;
  consents: ConsentsTable;
  restrictions: RestrictionsTable;
  blocks: BlocksTable;
  reports: ReportsTable;
  report_evidence: ReportEvidenceTable;
  moderation_actions: ModerationActionsTable;
  notices: NoticesTable;
  appeals: AppealsTable;
  audit_log: AuditLogTable;
  email_codes: EmailCodesTable;
  password_resets: PasswordResetsTable;
  mail_sends: MailSendsTable;
}

export type Timestamp = string | Date;

export interface UsersTable {
  id: string;
  display_name: string;
  kind: 'guest' | 'member';
  email: string | null;
  password_hash: string | null;
  created_at: Timestamp;
  role: Generated<'user' | 'moderator' | 'admin'>;
  /** 1 once the member entered a code mailed to `email`. */
  email_verified: Generated<number>;
  /** JSON array of ISO 639-1 codes, in order of preference; `[]` when none named. */
  languages: Generated<string>;
  bio: Generated<string>;
}

export interface SessionsTable {
  /** SHA-256 of the token: a leaked database holds no usable token. */
  token_hash: string;
  user_id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  /** `full`, or `appeal`: a banned member's short-lived session for its notices and appeal only. */
  scope: Generated<'full' | 'appeal'>;
}

export interface CategoriesTable {
  slug: string;
  name: string;
  position: Generated<number>;
}

/** The original design's "connection": one row per room, kept as history after the room ends. */
export interface ConnectionsTable {
  id: string;
  user_a: string;
  user_b: string;
  category: string | null;
  started_at: Timestamp;
  ended_at: Timestamp | null;
  end_reason: 'left' | 'disconnected' | null;
  /** The process whose memory holds the room (history/crashes.ts); null with Redis, and for rows before 0008. */
  process_id: Generated<string | null>;
}

/** A process that keeps its rooms in memory (no Redis): where it runs and when it last said it was alive. */
export interface ProcessesTable {
  id: string;
  host: string;
  pid: number;
  alive_at: Timestamp;
  /** Set on a clean stop: its open calls wait in its rooms file for the next start, and are never closed as a crash's. */
  stopped_at: Timestamp | null;
}

/** Two people who are friends, or one asked the other. Always user_a < user_b (one row per pair). */
export interface FriendshipsTable {
  id: string;
  user_a: string;
  user_b: string;
  requested_by: string;
  status: 'pending' | 'accepted';
  created_at: Timestamp;
  accepted_at: Timestamp | null;
}

/** A friend request `decliner` declined: `asker` may not ask them again for a while. */
export interface FriendDeclinesTable {
  asker: string;
  decliner: string;
  declined_at: Timestamp;
}

/** Wrong passwords counted under one key; forgotten once `last_failed_at` is old enough. */
export interface LoginFailuresTable {
  /** SHA-256 of the e-mail (or e-mail and client address): no address book of who tried what. */
  key: string;
  failures: number;
  last_failed_at: Timestamp;
}

/** When a cluster-wide job last ran: its lease. */
export interface SweepsTable {
  name: string;
  last_run_at: Timestamp;
}

/**
 * Each answer to the age and rules screen. Only the year of birth is kept: enough to show the
 * age check was made, too little to identify anyone.
 */
export interface ConsentsTable {
  id: string;
  user_id: string;
  rules_version: number;
  birth_year: number;
  outcome: 'accepted' | 'underage';
  created_at: Timestamp;
}

/**
 * What keeps a user from meeting anyone. Never deleted: a lifted restriction gets `lifted_at`,
 * so the history a moderator reviews (and an appeal refers to) stays whole.
 */
export interface RestrictionsTable {
  id: string;
  user_id: string;
  kind: 'underage' | 'suspended' | 'banned';
  /** Shown to the user. */
  reason: string;
  until: Timestamp | null;
  /** 1 when a rule set it (reports piling up), 0 when a person did; SQLite has no boolean. */
  automated: number;
  appealable: number;
  created_at: Timestamp;
  lifted_at: Timestamp | null;
}

/** A report about the user met in one connection; `note` is '' when none was written. */
export interface ReportsTable {
  id: string;
  reporter_id: string;
  reported_id: string;
  connection_id: string;
  reason:
    'nudity' | 'sexual' | 'minor' | 'harassment' | 'hate' | 'violence' | 'self_harm' | 'spam' | 'illegal' | 'other';
  note: string;
  status: 'open' | 'actioned' | 'dismissed';
  created_at: Timestamp;
  decided_at: Timestamp | null;
  /** The moderation action that settled it (null while open). */
  action_id: string | null;
}

/** A JPEG a reporter attached to its report, kept in the database (BLOB / bytea). */
export interface ReportEvidenceTable {
  id: string;
  report_id: string;
  image: Uint8Array;
  bytes: number;
  created_at: Timestamp;
}

/** `blocker_id` blocked `blocked_id`: the two are never matched again and cannot reach each other. */
export interface BlocksTable {
  blocker_id: string;
  blocked_id: string;
  created_at: Timestamp;
}

export function toIso(value: Timestamp): string {
  return typeof value === 'string' ? new Date(value).toISOString() : value.toISOString();
}

/** A moderator's decision: the statement of reasons and what it did (see migrations 0005). */
export interface ModerationActionsTable {
  id: string;
  user_id: string;
  moderator_id: string;
  /** The moderator's name when it decided. */
  moderator_name: string;
  action: 'dismiss' | 'warn' | 'suspend' | 'ban' | 'restore';
  reason: string;
  until: Timestamp | null;
  /** The restriction made (suspend, ban) or lifted (dismiss, restore); null for a warning. */
  restriction_id: string | null;
  created_at: Timestamp;
}

/** A statement of reasons to the user it is about. */
export interface NoticesTable {
  id: string;
  user_id: string;
  kind: 'warning' | 'suspension' | 'ban' | 'restored' | 'appeal_upheld' | 'appeal_overturned';
  reason: string;
  automated: number;
  until: Timestamp | null;
  /** The restriction the notice announced (suspension, ban): the notice is appealable while it is in force. */
  restriction_id: string | null;
  created_at: Timestamp;
}

/** One appeal per restriction. */
export interface AppealsTable {
  id: string;
  user_id: string;
  restriction_id: string;
  text: string;
  status: 'open' | 'upheld' | 'overturned';
  created_at: Timestamp;
  decided_at: Timestamp | null;
  decided_by_id: string | null;
  decided_by_name: string | null;
  decision_reason: string | null;
}

/** Append-only: written once, never updated or deleted. `detail` is JSON. */
export interface AuditLogTable {
  id: string;
  at: Timestamp;
  actor_id: string;
  actor_name: string;
  action: string;
  subject_user_id: string | null;
  detail: string;
}

/** A member's live e-mail verification code (one at a time). */
export interface EmailCodesTable {
  user_id: string;
  /** SHA-256 of the six digits with the user id: a leaked table gives no code. */
  code_hash: string;
  expires_at: Timestamp;
  /** Wrong guesses so far; at VERIFY_MAX_TRIES the code is dead. */
  failed_tries: Generated<number>;
  created_at: Timestamp;
}

/** A password reset link: single use, short-lived. */
export interface PasswordResetsTable {
  /** SHA-256 of the token in the link. */
  token_hash: string;
  user_id: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: Timestamp;
}

/** A mail sent, kept a day to enforce the per-member and per-address limits. */
export interface MailSendsTable {
  id: string;
  purpose: 'verify' | 'reset';
  /** The user id (verify) or the SHA-256 of the lower-cased address (reset). */
  subject: string;
  sent_at: Timestamp;
}

/** A device's push token (Expo) or Web Push subscription (JSON), tied to the session that registered it. */
export interface PushTokensTable {
  token: string;
  user_id: string;
  /** The registering session's token_hash: deleting the session deletes the token. */
  session_hash: string;
  platform: 'ios' | 'android' | 'web';
  created_at: Timestamp;
  /** The last time a push was sent to it; null before the first. */
  last_used_at: Timestamp | null;
}
