/**
 * When a check counts as "sexual", and how many checks in a row change what the viewer sees.
 * Every number of the shield's decision lives here, each with why; policy.ts applies them.
 *
 * The classifier (nsfwjs) gives five probabilities that sum to 1: Drawing, Hentai, Neutral,
 * Porn, Sexy. Its authors report ~90-93% accuracy on their test set for the MobileNetV2 models;
 * the errors that matter for a live webcam are (a) a single odd frame (motion blur, a hand over
 * the lens, a dark room) scoring high for a moment, and (b) ordinary people in a T-shirt or on
 * a bed scoring "Sexy". The thresholds and the runs below are set against those two.
 */

/**
 * Porn + Hentai at or above this is sexual. Both classes mean explicit content (photographed or
 * drawn); adding them catches a frame the model can't place between the two. 0.5 is "more likely
 * explicit than not": a miss (someone sees what the shield exists to hide) costs more than a
 * false alarm (a blur the viewer lifts with one tap), so the bar is not higher; the run of
 * SEXUAL_RUN below, not a higher bar, is what keeps single odd frames from blurring a call.
 */
export const EXPLICIT_THRESHOLD = 0.5;

/**
 * Sexy alone at or above this is sexual. "Sexy" covers swimwear, underwear, bare skin without
 * explicit content, which on a webcam is mostly an ordinary person in a vest or lying down: at the
 * explicit bar it would blur many harmless calls. Only a confident Sexy blurs, as it usually means
 * undressing in progress, which is the moment before exposure.
 */
export const SEXY_THRESHOLD = 0.8;

/**
 * Sexual checks in a row that blur a shown video. One frame is a blip (the model's errors are
 * mostly single frames); two in a row, SHIELD_INTERVAL_MS apart (500 ms by default), is something
 * the camera kept showing. At the default interval a shown video is blurred within about 1 s.
 */
export const SEXUAL_RUN = 2;

/**
 * Clean checks in a row that show a blurred video again. Longer than SEXUAL_RUN on purpose: a
 * person who exposes themselves and covers up for a moment must not flicker back into view;
 * three clean checks (~1.5 s at the default interval) is a stretch of clean video, not a gap.
 */
export const CLEAN_RUN = 3;

/** The five classes nsfwjs returns, each a probability; they sum to 1. */
export interface Scores {
  Drawing: number;
  Hentai: number;
  Neutral: number;
  Porn: number;
  Sexy: number;
}

/** Whether one check's scores count as sexual (the only place the thresholds are applied). */
export function isSexual(scores: Scores): boolean {
  return scores.Porn + scores.Hentai >= EXPLICIT_THRESHOLD || scores.Sexy >= SEXY_THRESHOLD;
}
