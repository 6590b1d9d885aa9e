import type { ConsentRequest, OwnUser, RulesResponse, User } from '@small-talk/protocol';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { MessageBus } from '../storage/bus/bus.js';
import { tellStandingChanged, type Standing, type UserStanding } from './standing.js';

/** Nobody is this old: a birth date further back is a typo or a test of the screen. */
const OLDEST_AGE_YEARS = 120;

/**
 * The age and rules gate: who has accepted the current rules, who is too young, and who may
 * therefore meet strangers (join the queue, call, ask for friendship).
 */
export class Safety {
  constructor(
    private readonly standing: Standing,
    readonly rules: RulesResponse,
    private readonly metrics: Metrics,
    /** Tells the user's socket that its standing changed (tellStandingChanged). */
    private readonly bus: MessageBus,
    /** REQUIRE_VERIFIED_EMAIL: guests and unverified members may not meet anyone. */
    private readonly requireVerifiedEmail = false,
  ) {}

  /** The session's own user, with what only its owner sees: its consent, restriction and profile. */
  async ownUser(user: User): Promise<OwnUser> {
    const { consent, restriction, role, emailVerified, languages, bio } = await this.standing.of(user.id);
    return { ...user, consent, restriction, role, emailVerified, languages, bio };
  }

  /**
   * An underage answer restricts the user for good, and every later attempt gets the same answer
   * whatever it sends: a neutral age screen must not let a child guess its way to the right
   * year. So the edge asks this before it even reads the body.
   */
  async refuseIfUnderage(userId: string, now = new Date()): Promise<void> {
    const restriction = await this.standing.restriction(userId, now);
    if (restriction?.kind === 'underage') throw underage(this.rules.minAge);
  }

  /** Records the user's answer to the rules screen: accepted, or underage (see refuseIfUnderage). */
  async consent(user: User, answer: ConsentRequest, now = new Date()): Promise<OwnUser> {
    await this.refuseIfUnderage(user.id, now);
    if (answer.rulesVersion !== this.rules.version) {
      throw new AppError('rules_changed', `the rules changed: read version ${this.rules.version} and accept it`);
    }
    const birth = realDate(answer.birthDate);
    const oldest = new Date(Date.UTC(now.getUTCFullYear() - OLDEST_AGE_YEARS, now.getUTCMonth(), now.getUTCDate()));
    if (!birth || birth > now || birth < oldest)
      throw new AppError('bad_request', 'birthDate: not a real date of birth');
    const birthYear = birth.getUTCFullYear();
    if (ageOn(birth, now) < this.rules.minAge) {
      await this.standing.recordConsent(
        user.id,
        { rulesVersion: answer.rulesVersion, birthYear, outcome: 'underage' },
        now,
      );
      await this.standing.restrict(
        user.id,
        {
          kind: 'underage',
          reason: `Small Talk is only for people aged ${this.rules.minAge} or older.`,
          until: null,
          automated: true,
          appealable: false,
        },
        now,
      );
      tellStandingChanged(this.bus, user.id);
      this.metrics.consentRefusals.inc({ reason: 'underage' });
      throw underage(this.rules.minAge);
    }
    await this.standing.recordConsent(
      user.id,
      { rulesVersion: answer.rulesVersion, birthYear, outcome: 'accepted' },
      now,
    );
    tellStandingChanged(this.bus, user.id);
    return this.ownUser(user);
  }

  /**
   * Throws unless the user may meet people now: `restricted` while a restriction is in force,
   * `consent_required` until it has accepted the current rules (a new version asks again), and
   * with REQUIRE_VERIFIED_EMAIL `verification_required` until it is a member with a verified
   * e-mail. Returns the standing it allowed: a join matches by its languages.
   *
   * `kept`: a standing this process allowed before and has heard no change of since (a socket's,
   * see ClientSocket.allowedStanding). It is allowed again without reading the database: what
   * allowed it cannot run out (no restriction was in force, the rules version is the process's),
   * and every change to it is told to the socket that keeps it (tellStandingChanged). A kept
   * standing that would be refused is read again: a restriction may have run out since.
   */
  async mayMeet(userId: string, kept: UserStanding | null = null): Promise<UserStanding> {
    if (kept !== null && this.refusal(kept) === null) return kept;
    const standing = await this.standing.of(userId);
    const refusal = this.refusal(standing);
    if (refusal) throw refusal;
    return standing;
  }

  private refusal(standing: UserStanding): AppError | null {
    const { consent, restriction } = standing;
    if (restriction) return new AppError('restricted', `you cannot meet people now: ${restriction.reason}`);
    if (consent?.rulesVersion !== this.rules.version) {
      return new AppError('consent_required', `accept the community rules (version ${this.rules.version}) first`);
    }
    if (this.requireVerifiedEmail && !standing.emailVerified) {
      return new AppError(
        'verification_required',
        'verify your e-mail address first: create an account, then enter the code we mailed you',
      );
    }
    return null;
  }
}

function underage(minAge: number): AppError {
  return new AppError('underage', `Small Talk is only for people aged ${minAge} or older`);
}

/** The date at midnight UTC, or null when there is no such day (2023-02-30). */
function realDate(text: string): Date | null {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  date.setUTCFullYear(y);
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? date : null;
}

/** Whole years from `birth` to `now`, counted in UTC days. */
function ageOn(birth: Date, now: Date): number {
  const years = now.getUTCFullYear() - birth.getUTCFullYear();
  const beforeBirthday =
    now.getUTCMonth() < birth.getUTCMonth() ||
    (now.getUTCMonth() === birth.getUTCMonth() && now.getUTCDate() < birth.getUTCDate());
  return beforeBirthday ? years - 1 : years;
}
