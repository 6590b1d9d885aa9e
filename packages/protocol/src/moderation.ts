import { z } from 'zod';
import { CategorySlug, Id, IsoTimestamp, Restriction, Role } from './common.js';

/** A user as moderation names it (reporter, moderator, actor): who, not what they speak. */
export const UserRef = z.object({
  id: Id,
  displayName: z.string(),
});
export type UserRef = z.infer<typeof UserRef>;
import { ReportReason, ReportStatus } from './http.js';

// ---- roles -------------------------------------------------------------------

/** `PUT /api/admin/users/:id/role` (admins only). */
export const SetRoleRequest = z.object({
  role: Role,
});
export type SetRoleRequest = z.infer<typeof SetRoleRequest>;

/** A user as moderators see it in a case. */
export const CaseUser = z.object({
  id: Id,
  displayName: z.string(),
  kind: z.enum(['guest', 'member']),
  createdAt: IsoTimestamp,
});
export type CaseUser = z.infer<typeof CaseUser>;

/** A user with its role: the answer to a role change and the head of a user's page. */
export const StaffUser = CaseUser.extend({
  role: Role,
});
export type StaffUser = z.infer<typeof StaffUser>;

export const SetRoleResponse = z.object({
  user: StaffUser,
});
export type SetRoleResponse = z.infer<typeof SetRoleResponse>;

// ---- cases -------------------------------------------------------------------

/** `urgent`: an open report says `minor` or `illegal`; `high`: automatically suspended or 2+ reporters. */
export const CasePriority = z.enum(['urgent', 'high', 'normal']);
export type CasePriority = z.infer<typeof CasePriority>;

/** One reported user and its open reports: a row of the queue. */
export const ModCase = z.object({
  userId: Id,
  user: CaseUser,
  openReports: z.number().int().nonnegative(),
  /** Distinct users with an open report about this one. */
  reporters: z.number().int().nonnegative(),
  /** Open reports by reason; reasons with none are absent. */
  reasons: z.partialRecord(ReportReason, z.number().int().positive()),
  priority: CasePriority,
  /** The oldest open report's time; null in a closed case. */
  oldestOpenAt: IsoTimestamp.nullable(),
  /** The restriction in force, if any. */
  restriction: Restriction.nullable(),
});
export type ModCase = z.infer<typeof ModCase>;

/** `GET /api/mod/cases?status=open|closed&limit=&before=`. */
export const CasesQuery = z.object({
  status: z.enum(['open', 'closed']).default('open'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /**
   * Open cases: only those whose oldest open report is older than this (`before=<now − 24 h>`
   * lists the cases past the promise). Closed cases (newest decision first): decided before it.
   */
  before: IsoTimestamp.optional(),
});
export type CasesQuery = z.infer<typeof CasesQuery>;

export const CasesResponse = z.object({
  cases: z.array(ModCase),
});
export type CasesResponse = z.infer<typeof CasesResponse>;

/** The connection a report is about, as the history has it (null once the history row is gone). */
export const ModConnection = z.object({
  id: Id,
  /** The other user of the connection, seen from the user whose page this is. */
  peer: UserRef,
  category: CategorySlug.nullable(),
  startedAt: IsoTimestamp,
  endedAt: IsoTimestamp.nullable(),
});
export type ModConnection = z.infer<typeof ModConnection>;

/** A report about the user whose page this is. */
export const ReportAgainst = z.object({
  id: Id,
  reporter: UserRef,
  reason: ReportReason,
  note: z.string(),
  connection: ModConnection.nullable(),
  /** Ids for `GET /api/mod/evidence/:id`. */
  evidence: z.array(Id),
  status: ReportStatus,
  createdAt: IsoTimestamp,
  decidedAt: IsoTimestamp.nullable(),
});
export type ReportAgainst = z.infer<typeof ReportAgainst>;

/** A report the user made (a button pressed at everyone is a pattern too). */
export const ReportMade = z.object({
  id: Id,
  user: UserRef,
  reason: ReportReason,
  note: z.string(),
  status: ReportStatus,
  createdAt: IsoTimestamp,
});
export type ReportMade = z.infer<typeof ReportMade>;

export const ModActionKind = z.enum(['dismiss', 'warn', 'suspend', 'ban', 'restore']);
export type ModActionKind = z.infer<typeof ModActionKind>;

/** A moderator's decision about a user. */
export const ModAction = z.object({
  id: Id,
  action: ModActionKind,
  moderator: UserRef,
  /** The statement of reasons the user reads. */
  reason: z.string(),
  /** A suspension's end; null otherwise. */
  until: IsoTimestamp.nullable(),
  createdAt: IsoTimestamp,
});
export type ModAction = z.infer<typeof ModAction>;

/** `GET /api/mod/users/:id`: everything a moderator needs to decide about one user. */
export const ModUserResponse = z.object({
  user: StaffUser,
  restriction: Restriction.nullable(),
  /** Warnings received. */
  strikes: z.number().int().nonnegative(),
  /** Newest first. */
  reports: z.array(ReportAgainst),
  /** Newest first. */
  reportsMade: z.array(ReportMade),
  /** The last 50, newest first. */
  connections: z.array(ModConnection),
  /** Every decision about the user, newest first. */
  actions: z.array(ModAction),
});
export type ModUserResponse = z.infer<typeof ModUserResponse>;

// ---- decisions ---------------------------------------------------------------

/** `POST /api/mod/users/:id/actions`. */
export const ModActionRequest = z
  .object({
    action: ModActionKind,
    reason: z.string().trim().min(1).max(2000),
    /** `suspend` only, and required there. */
    days: z.number().int().min(1).max(365).optional(),
    /** Default: every open report about the user. */
    reportIds: z.array(Id).max(500).optional(),
  })
  .refine((body) => (body.action === 'suspend') === (body.days !== undefined), {
    message: 'days is required with suspend, and only there',
    path: ['days'],
  });
export type ModActionRequest = z.infer<typeof ModActionRequest>;

export const ModActionResponse = z.object({
  action: ModAction,
});
export type ModActionResponse = z.infer<typeof ModActionResponse>;

// ---- what the affected user sees ----------------------------------------------

export const NoticeKind = z.enum(['warning', 'suspension', 'ban', 'restored', 'appeal_upheld', 'appeal_overturned']);
export type NoticeKind = z.infer<typeof NoticeKind>;

/** A statement of reasons to the user it is about. */
export const Notice = z.object({
  id: Id,
  kind: NoticeKind,
  reason: z.string(),
  /** Set by a rule (reports piling up), not by a person. */
  automated: z.boolean(),
  until: IsoTimestamp.nullable(),
  createdAt: IsoTimestamp,
  /** The user may appeal what this notice tells (while the restriction it announced is in force). */
  appealable: z.boolean(),
});
export type Notice = z.infer<typeof Notice>;

/** `GET /api/me/notices`, newest first. */
export const NoticesResponse = z.object({
  notices: z.array(Notice),
});
export type NoticesResponse = z.infer<typeof NoticesResponse>;

/** How long the token a banned member gets at login lasts. */
export const APPEAL_TOKEN_TTL_MS = 60 * 60 * 1000;

/**
 * `POST /api/auth/login` for a banned member: 403 with the error `banned` and a short-lived
 * token that reaches only `GET /api/me`, `GET /api/me/notices` and `POST /api/appeals` (and
 * `GET /api/appeals`). Every other route answers it 403 `banned`; the WebSocket refuses it (401).
 */
export const BannedLoginBody = z.object({
  error: z.object({ code: z.literal('banned'), message: z.string() }),
  appealToken: z.string(),
  expiresAt: IsoTimestamp,
});
export type BannedLoginBody = z.infer<typeof BannedLoginBody>;

// ---- appeals -----------------------------------------------------------------

export const AppealStatus = z.enum(['open', 'upheld', 'overturned']);
export type AppealStatus = z.infer<typeof AppealStatus>;

/** `POST /api/appeals` by a restricted user (not underage): why the decision was wrong. */
export const AppealRequest = z.object({
  text: z.string().trim().min(1).max(2000),
});
export type AppealRequest = z.infer<typeof AppealRequest>;

/** An appeal as its author sees it. */
export const Appeal = z.object({
  id: Id,
  status: AppealStatus,
  createdAt: IsoTimestamp,
});
export type Appeal = z.infer<typeof Appeal>;

export const AppealResponse = z.object({
  appeal: Appeal,
});
export type AppealResponse = z.infer<typeof AppealResponse>;

/** `GET /api/appeals`: the user's own appeals, newest first. */
export const AppealsResponse = z.object({
  appeals: z.array(Appeal),
});
export type AppealsResponse = z.infer<typeof AppealsResponse>;

/** An appeal as moderators see it, with the restriction and the decision it contests. */
export const ModAppeal = z.object({
  id: Id,
  status: AppealStatus,
  text: z.string(),
  createdAt: IsoTimestamp,
  user: UserRef,
  restriction: Restriction,
  /** The moderator's decision that made the restriction; null when a rule made it (automatic suspension). */
  decision: ModAction.nullable(),
  /** Once decided: by whom, why and when. */
  decidedBy: UserRef.nullable(),
  decisionReason: z.string().nullable(),
  decidedAt: IsoTimestamp.nullable(),
});
export type ModAppeal = z.infer<typeof ModAppeal>;

/** `GET /api/mod/appeals?status=open|closed`: open ones oldest first, closed ones newest first. */
export const ModAppealsQuery = z.object({
  status: z.enum(['open', 'closed']).default('open'),
});
export type ModAppealsQuery = z.infer<typeof ModAppealsQuery>;

export const ModAppealsResponse = z.object({
  appeals: z.array(ModAppeal),
});
export type ModAppealsResponse = z.infer<typeof ModAppealsResponse>;

/** `POST /api/mod/appeals/:id`. */
export const AppealDecisionRequest = z.object({
  decision: z.enum(['uphold', 'overturn']),
  reason: z.string().trim().min(1).max(2000),
});
export type AppealDecisionRequest = z.infer<typeof AppealDecisionRequest>;

export const AppealDecisionResponse = z.object({
  appeal: ModAppeal,
});
export type AppealDecisionResponse = z.infer<typeof AppealDecisionResponse>;

// ---- audit log ---------------------------------------------------------------

/** What an audit row records. */
export const AuditAction = z.enum([
  'dismiss',
  'warn',
  'suspend',
  'ban',
  'restore',
  'appeal_uphold',
  'appeal_overturn',
  'set_role',
  'view_evidence',
]);
export type AuditAction = z.infer<typeof AuditAction>;

export const AuditEntry = z.object({
  id: Id,
  at: IsoTimestamp,
  /** Who did it (its name as it was then). */
  actor: UserRef,
  action: AuditAction,
  subjectUserId: Id.nullable(),
  /** What else the row keeps: report ids, days, the new role, the evidence id… */
  detail: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** `GET /api/mod/audit?limit=&before=`: newest first; `before` an ISO time for the next page. */
export const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: IsoTimestamp.optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditResponse = z.object({
  entries: z.array(AuditEntry),
});
export type AuditResponse = z.infer<typeof AuditResponse>;
