/**
 * The shield's decision for one call: from the classifier's scores to what the viewer sees.
 * A plain state machine (no React, no TensorFlow), so it is tested against score sequences alone.
 *
 * States (the text of `shield-state` in English; other languages show their word for it):
 * - `checking`: no clean check yet. The video is hidden (blurred and dimmed). Every call starts
 *   here, so nothing is shown before the classifier has looked at it.
 * - `clear`:    the video is shown.
 * - `blurred`:  the video is hidden and the overlay (Reveal, Report, Next) is shown.
 * - `revealed`: the viewer chose to see this call's video; shown whatever the checks say.
 *
 * Transitions:
 * - `checking` → `clear` on the first clean check; → `blurred` after SEXUAL_RUN sexual checks in a
 *   row (a clean check between them clears, as the first clean result does).
 * - `clear` → `blurred` after SEXUAL_RUN sexual checks in a row; a clean check resets the run.
 * - `blurred` → `clear` after CLEAN_RUN clean checks in a row; a sexual check resets the run.
 * - any (but `revealed`) → `blurred` on `failed(reason)`: the classifier could not load or a check
 *   could not run. It stays `blurred` (later checks are ignored): video that can't be checked is
 *   never shown unless the viewer chooses to. `failure` says why, for the overlay (a value the
 *   caller chooses, `Failure`: the app passes a code it puts in words at render).
 * - any → `revealed` on `reveal()`, and it sticks: checks and failures no longer change it. A
 *   policy lives for one call (make a new one for the next peer), so Reveal lasts one call.
 * - disabled (`{ enabled: false }`, the user turned the setting off): always `clear`; checks,
 *   failures and reveal change nothing. Video is shown at once, as the user chose.
 *
 * Each method returns the state after it, which is also `state`.
 */
import { CLEAN_RUN, SEXUAL_RUN, isSexual, type Scores } from './thresholds';

export type { Scores } from './thresholds';
export { isSexual } from './thresholds';

export type ShieldState = 'checking' | 'clear' | 'blurred' | 'revealed';

export class ShieldPolicy<Failure = string> {
  state: ShieldState;
  /** Why the video can't be checked (set by `failed`), or null. */
  failure: Failure | null = null;
  readonly enabled: boolean;
  /** Sexual checks in a row so far. */
  private sexualRun = 0;
  /** Clean checks in a row so far. */
  private cleanRun = 0;

  constructor(opts: { enabled?: boolean } = {}) {
    this.enabled = opts.enabled ?? true;
    this.state = this.enabled ? 'checking' : 'clear';
  }

  /** Whether the video must be hidden now (`checking` or `blurred`). */
  get hidden(): boolean {
    return this.state === 'checking' || this.state === 'blurred';
  }

  /** One check's scores. */
  check(scores: Scores): ShieldState {
    if (!this.enabled || this.state === 'revealed' || this.failure !== null) return this.state;
    if (isSexual(scores)) {
      this.sexualRun += 1;
      this.cleanRun = 0;
      if (this.sexualRun >= SEXUAL_RUN) this.state = 'blurred';
    } else {
      this.cleanRun += 1;
      this.sexualRun = 0;
      // From `checking`, one clean check is enough: there is nothing to distrust yet. From
      // `blurred` it takes a run, so a moment of covering up doesn't show the video again.
      if (this.state === 'checking' || (this.state === 'blurred' && this.cleanRun >= CLEAN_RUN)) {
        this.state = 'clear';
        this.cleanRun = 0;
      }
    }
    return this.state;
  }

  /** The viewer chose to see this call's video. */
  reveal(): ShieldState {
    if (this.enabled) this.state = 'revealed';
    return this.state;
  }

  /** The video can't be checked (model didn't load, a check threw): hide it and say why. */
  failed(reason: Failure): ShieldState {
    if (!this.enabled || this.state === 'revealed') return this.state;
    this.failure = reason;
    this.state = 'blurred';
    return this.state;
  }
}
