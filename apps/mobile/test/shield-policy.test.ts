import { describe, expect, test } from '@jest/globals';
import { ShieldPolicy, type Scores, type ShieldState } from '../src/features/shield/policy';
import { CLEAN_RUN, EXPLICIT_THRESHOLD, SEXUAL_RUN, SEXY_THRESHOLD, isSexual } from '../src/features/shield/thresholds';

/**
 * The shield's state machine against sequences of scores, as the classifier would report them
 * every SHIELD_INTERVAL_MS: what `shield-state` would say after each check.
 */

const CLEAN: Scores = { Drawing: 0.05, Hentai: 0.01, Neutral: 0.9, Porn: 0.02, Sexy: 0.02 };
const PORN: Scores = { Drawing: 0.01, Hentai: 0.02, Neutral: 0.05, Porn: 0.9, Sexy: 0.02 };

const C = 'clean';
const S = 'sexual';
type Check = typeof C | typeof S;

/** Runs `checks` through `policy`, returning the state after each. */
function run(policy: ShieldPolicy, checks: Check[]): ShieldState[] {
  return checks.map((check) => policy.check(check === C ? CLEAN : PORN));
}

describe('shield thresholds', () => {
  test("the runs are the issue's: 2 sexual in a row blur, 3 clean in a row clear", () => {
    expect(SEXUAL_RUN).toBe(2);
    expect(CLEAN_RUN).toBe(3);
  });

  test('Porn and Hentai count together against the explicit bar; Sexy alone needs the higher bar', () => {
    expect(isSexual(PORN)).toBe(true);
    expect(isSexual(CLEAN)).toBe(false);
    const split = EXPLICIT_THRESHOLD / 2 + 0.01;
    expect(isSexual({ Drawing: 0, Hentai: split, Neutral: 1 - 2 * split, Porn: split, Sexy: 0 })).toBe(true);
    expect(
      isSexual({
        Drawing: 0,
        Hentai: 0,
        Neutral: 1 - EXPLICIT_THRESHOLD + 0.02,
        Porn: EXPLICIT_THRESHOLD - 0.02,
        Sexy: 0,
      }),
    ).toBe(false);
    expect(SEXY_THRESHOLD > EXPLICIT_THRESHOLD).toBe(true);
    expect(
      isSexual({ Drawing: 0, Hentai: 0, Neutral: 1 - (SEXY_THRESHOLD - 0.01), Porn: 0, Sexy: SEXY_THRESHOLD - 0.01 }),
    ).toBe(false);
    expect(isSexual({ Drawing: 0, Hentai: 0, Neutral: 1 - SEXY_THRESHOLD, Porn: 0, Sexy: SEXY_THRESHOLD })).toBe(true);
  });
});

describe('ShieldPolicy', () => {
  test('a call starts checking (hidden) and the first clean check shows it', () => {
    const policy = new ShieldPolicy();
    expect(policy.state).toBe('checking');
    expect(policy.hidden).toBe(true);
    expect(run(policy, [C])).toEqual(['clear']);
    expect(policy.hidden).toBe(false);
  });

  test('sexual from the start: still hidden after one check, blurred after the second', () => {
    const policy = new ShieldPolicy();
    expect(run(policy, [S, S])).toEqual(['checking', 'blurred']);
    expect(policy.hidden).toBe(true);
  });

  test('one sexual check in a shown call is a blip; two in a row blur', () => {
    const policy = new ShieldPolicy();
    expect(run(policy, [C, S, C, S, C, S, S])).toEqual([
      'clear',
      'clear',
      'clear',
      'clear',
      'clear',
      'clear',
      'blurred',
    ]);
  });

  test('blurred needs 3 clean checks in a row to show again; a sexual check restarts the count', () => {
    const policy = new ShieldPolicy();
    run(policy, [C, S, S]);
    expect(policy.state).toBe('blurred');
    expect(run(policy, [C, C, S, C, C])).toEqual(['blurred', 'blurred', 'blurred', 'blurred', 'blurred']);
    expect(run(policy, [C])).toEqual(['clear']);
    // And blurs again on the next run of two.
    expect(run(policy, [S, S])).toEqual(['clear', 'blurred']);
  });

  test('Reveal shows the video for the rest of the call, whatever the checks say; the next call starts hidden again', () => {
    const policy = new ShieldPolicy();
    run(policy, [S, S]);
    expect(policy.reveal()).toBe('revealed');
    expect(policy.hidden).toBe(false);
    expect(run(policy, [S, S, S, C, C, C])).toEqual(Array(6).fill('revealed'));
    expect(policy.failed('lost the GPU')).toBe('revealed');
    const next = new ShieldPolicy();
    expect(next.state).toBe('checking');
    expect(next.hidden).toBe(true);
  });

  test('setting off: clear at once and nothing changes it', () => {
    const policy = new ShieldPolicy({ enabled: false });
    expect(policy.state).toBe('clear');
    expect(policy.hidden).toBe(false);
    expect(run(policy, [S, S, S])).toEqual(['clear', 'clear', 'clear']);
    expect(policy.failed('no model')).toBe('clear');
    expect(policy.reveal()).toBe('clear');
  });

  test('a classifier that fails keeps the video blurred with the reason, even if checks come later; Reveal still works', () => {
    const policy = new ShieldPolicy();
    expect(policy.failed('the model could not load')).toBe('blurred');
    expect(policy.failure).toBe('the model could not load');
    expect(run(policy, [C, C, C, C])).toEqual(['blurred', 'blurred', 'blurred', 'blurred']);
    expect(policy.reveal()).toBe('revealed');
  });

  test('a failure mid-call hides a shown video', () => {
    const policy = new ShieldPolicy();
    run(policy, [C, C]);
    expect(policy.failed('a check threw')).toBe('blurred');
    expect(policy.hidden).toBe(true);
  });
});
