import { z } from 'zod';

/** Opaque identifiers: clients compare them, never parse them. */
export const Id = z.string().min(1).max(64);

/** A category is addressed by its slug: lowercase letters, digits and dashes. */
export const CategorySlug = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'a category slug is lowercase letters, digits and dashes');
export type CategorySlug = z.infer<typeof CategorySlug>;

/** 1..32 characters once surrounding white space is trimmed. */
export const DisplayName = z.string().trim().min(1).max(32);

export const UserKind = z.enum(['guest', 'member']);
export type UserKind = z.infer<typeof UserKind>;

export const User = z.object({
  id: Id,
  displayName: z.string(),
  kind: UserKind,
});
export type User = z.infer<typeof User>;

/** The other member of a room, as the user sees them. */
export const Peer = z.object({
  id: Id,
  displayName: z.string(),
});
export type Peer = z.infer<typeof Peer>;

export const IsoTimestamp = z.iso.datetime({ offset: true });

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Any JSON value, required to be present. Frames reach the server through JSON.parse, so a
 * present value is JSON already; z.json() would walk it again at ten times the cost per frame.
 */
export const JsonData = z.custom<JsonValue>((value) => value !== undefined, 'data is required');

/** Which ICE candidates a call may use: `relay` is TURN only (addresses stay private), `all` allows a direct path. */
export const IceTransportPolicy = z.enum(['all', 'relay']);
export type IceTransportPolicy = z.infer<typeof IceTransportPolicy>;

/** The last version of the community rules a user accepted, and when. */
export const Consent = z.object({
  rulesVersion: z.number().int().positive(),
  at: IsoTimestamp,
});
export type Consent = z.infer<typeof Consent>;

/** Why a user may not meet anyone: under the minimum age, suspended (for a while or pending review), or banned. */
export const RestrictionKind = z.enum(['underage', 'suspended', 'banned']);
export type RestrictionKind = z.infer<typeof RestrictionKind>;

export const Restriction = z.object({
  id: Id,
  kind: RestrictionKind,
  /** Text for the user: why, in words a person understands. */
  reason: z.string(),
  /** When it ends by itself; null: until a moderator lifts it (or never). */
  until: IsoTimestamp.nullable(),
  /** Set by a rule (reports piling up), not by a person. */
  automated: z.boolean(),
  appealable: z.boolean(),
});
export type Restriction = z.infer<typeof Restriction>;

/**
 * The session's own user: a User plus what only its owner sees. The two fields default to null
 * when absent, so a client still reads an older server's answer.
 */
export const OwnUser = User.extend({
  consent: Consent.nullable().default(null),
  restriction: Restriction.nullable().default(null),
});
export type OwnUser = z.infer<typeof OwnUser>;
