import { z } from 'zod';
import { LanguageCode, MAX_LANGUAGES } from './languages.js';

/** Opaque identifiers: clients compare them, never parse them. */
export const Id = z.string().min(1).max(64);

/** A category is addressed by its slug: lowercase letters, digits and dashes. */
export const CategorySlug = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'a category slug is lowercase letters, digits and dashes');
export type CategorySlug = z.infer<typeof CategorySlug>;

/**
 * Code points no profile text may hold, because they are invisible or change how the text around
 * them is shown: controls (Cc: NUL and friends; PostgreSQL refuses NUL outright), format
 * characters (Cf: zero-width space/joiner, bidi overrides, embeddings and isolates, tags), line and
 * paragraph separators (Zl, Zp), unpaired surrogates (Cs), private use (Co: a glyph only some fonts
 * draw) and noncharacters (U+FDD0–FDEF, U+xFFFE/xFFFF).
 */
const UNSHOWABLE_CLASS = '[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}\\p{Co}\\p{Noncharacter_Code_Point}]';

/**
 * At most this many combining marks in a row (accents stacked on one character). After NFC, real
 * names need one or two (Vietnamese ệ is one code point; Thai and Arabic stack two); pointed Hebrew
 * with cantillation and Tibetan stacks reach four. "Zalgo" floods stack dozens, which draw far above
 * and below the line, over the rest of the screen.
 */
export const MAX_MARKS_IN_A_ROW = 4;

interface UnicodeRules {
  /**
   * A zero-width joiner between two emoji (👩‍💻, 👨‍👩‍👧) draws one visible emoji, not hidden
   * text, so it is the one format character allowed; one after a letter is refused like any
   * other. The first alternative matches such an emoji and its joiner (group 1), the second any
   * unshowable code point.
   */
  unshowable: RegExp;
  markFlood: RegExp;
  letterOrDigit: RegExp;
  /** What the fallback character count leaves out: marks, joiners, skin-tone modifiers. */
  notCounted: RegExp;
}

let unicodeRules: UnicodeRules | null | undefined;

/**
 * The Unicode-property regular expressions, built on first use rather than at import: an engine
 * without property escapes (older Hermes) would otherwise fail to load the whole package. There
 * (null) a client skips the checks that need them and the server, on Node, decides.
 */
function rules(): UnicodeRules | null {
  if (unicodeRules === undefined) {
    try {
      unicodeRules = {
        unshowable: new RegExp(
          `(\\p{Extended_Pictographic}[\\u{FE0F}\\u{1F3FB}-\\u{1F3FF}]?\\u200D(?=\\p{Extended_Pictographic}))|${UNSHOWABLE_CLASS}`,
          'gu',
        ),
        markFlood: new RegExp(`\\p{M}{${MAX_MARKS_IN_A_ROW + 1}}`, 'u'),
        letterOrDigit: new RegExp('[\\p{L}\\p{N}]', 'u'),
        notCounted: new RegExp('[\\p{M}\\u200D\\u{1F3FB}-\\u{1F3FF}]', 'gu'),
      };
    } catch {
      unicodeRules = null;
    }
  }
  return unicodeRules;
}

function hasUnshowable(unshowable: RegExp, text: string): boolean {
  for (const match of text.matchAll(unshowable)) if (match[1] === undefined) return true;
  return false;
}

/** Display names are 1..32 user-perceived characters. */
export const MAX_DISPLAY_NAME_CHARACTERS = 32;
/**
 * UTF-16 units allowed per character before counting: bounds the work on a huge string. The longest
 * emoji (👩🏽‍❤️‍💋‍👨🏿) is 15 units, so 32 of any real character fit.
 */
const UNITS_PER_CHARACTER = 16;

const graphemes =
  typeof Intl !== 'undefined' && 'Segmenter' in Intl
    ? new Intl.Segmenter(undefined, { granularity: 'grapheme' })
    : null;

/**
 * User-perceived characters (grapheme clusters: é, 👍🏽 and 🇫🇷 are one each). Where Intl.Segmenter
 * is missing (Hermes), code points other than marks, joiners and emoji modifiers: close enough for
 * a client's hint; the server always has the segmenter.
 */
export function characterCount(text: string): number {
  if (graphemes) {
    let n = 0;
    for (const _ of graphemes.segment(text)) n += 1;
    return n;
  }
  const notCounted = rules()?.notCounted;
  return [...(notCounted ? text.replace(notCounted, '') : text)].length;
}

/** The text with every unshowable code point removed (emoji joiners kept): how a stored row that predates the rule is shown. */
export function withoutUnshowable(text: string): string {
  const unshowable = rules()?.unshowable;
  return unshowable ? text.replace(unshowable, (_match, emoji: string | undefined) => emoji ?? '') : text;
}

/**
 * Why profile text (a display name now; a bio later) cannot be taken as typed, or null when it can.
 * `text` is already trimmed and NFC-normalised, as the schemas below do before asking.
 */
export function profileTextProblem(text: string, maxCharacters: number): string | null {
  if (text.length === 0) return 'must not be empty';
  if (text.length > maxCharacters * UNITS_PER_CHARACTER) return `must be at most ${maxCharacters} characters`;
  const unicode = rules();
  if (unicode) {
    if (hasUnshowable(unicode.unshowable, text)) {
      return 'must not contain control, invisible (zero-width, direction-changing), private-use, unpaired-surrogate or noncharacter code points';
    }
    if (unicode.markFlood.test(text))
      return `must not stack more than ${MAX_MARKS_IN_A_ROW} accents or marks on one character`;
    if (!unicode.letterOrDigit.test(text)) return 'must contain at least one letter or digit';
  }
  if (characterCount(text) > maxCharacters) return `must be at most ${maxCharacters} characters`;
  return null;
}

/** Profile text of 1..`maxCharacters` characters: trimmed, NFC-normalised, then held to profileTextProblem. */
export function ProfileText(maxCharacters: number) {
  return z
    .string()
    .trim()
    .normalize('NFC')
    .superRefine((text, ctx) => {
      const problem = profileTextProblem(text, maxCharacters);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

/** A display name as a user sets it: see profileTextProblem for what is refused. */
export const DisplayName = ProfileText(MAX_DISPLAY_NAME_CHARACTERS);

/** A bio is 0..140 characters: one line a stranger reads before saying hello. */
export const MAX_BIO_CHARACTERS = 140;

/**
 * A bio as a user sets it: trimmed and NFC-normalised; empty clears it. Otherwise held to the
 * display name's rules, except that it need not contain a letter ("🎸🎹" says enough).
 */
export const Bio = z
  .string()
  .trim()
  .normalize('NFC')
  .superRefine((text, ctx) => {
    if (text.length === 0) return;
    const problem = profileTextProblem(text, MAX_BIO_CHARACTERS);
    if (problem && problem !== 'must contain at least one letter or digit')
      ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * The languages a user speaks, 1..5 ISO 639-1 codes in order of preference, no repeats. Two users
 * are matched only when they share one (or either named none).
 */
export const Languages = z
  .array(LanguageCode)
  .min(1)
  .max(MAX_LANGUAGES)
  .refine((codes) => new Set(codes).size === codes.length, 'a language may be named once');

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
  /** What the peer speaks, in its order of preference; empty when it named none (or an older server). */
  languages: z.array(LanguageCode).default([]),
});
export type Peer = z.infer<typeof Peer>;

export const IsoTimestamp = z.iso.datetime({ offset: true });

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Any JSON value, required to be present. Frames reach the server through JSON.parse, so a
 * present value is JSON already; z.json() would walk it again at ten times the cost per frame.
 */
export const JsonData = z.custom<JsonValue>((value) => value !== undefined, 'data is required');

/**
 * How a room ended, for both of its uses: a history row's `endReason` and `peer_left.reason`.
 * `left`: a member left it; `disconnected`: a member's socket dropped and its grace ran out.
 */
export const EndReason = z.enum(['left', 'disconnected']);
export type EndReason = z.infer<typeof EndReason>;

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

/** What a user may do beyond meeting people: moderators work the reports, admins also give roles. */
export const Role = z.enum(['user', 'moderator', 'admin']);
export type Role = z.infer<typeof Role>;

/**
 * The session's own user: a User plus what only its owner sees. The fields default (null, false, empty)
 * when absent, so a client still reads an older server's answer.
 */
export const OwnUser = User.extend({
  consent: Consent.nullable().default(null),
  restriction: Restriction.nullable().default(null),
  role: Role.default('user'),
  /** The member proved it reads its e-mail (a code sent there); guests: false. */
  emailVerified: z.boolean().default(false),
  /** What the user speaks, in order of preference; empty until it names some (then matched with anyone). */
  languages: z.array(LanguageCode).default([]),
  /** Shown to the people it is matched with; empty when none. */
  bio: z.string().default(''),
});
export type OwnUser = z.infer<typeof OwnUser>;
