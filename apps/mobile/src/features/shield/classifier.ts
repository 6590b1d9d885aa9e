/**
 * The shield's classifier on iOS and Android: none yet. react-native-webrtc gives JavaScript no
 * access to the remote video's frames, so the phones get the safe start only (the video starts
 * blurred with Reveal); docs/safety.md ("Shield") describes the path to a native classifier.
 * classifier.web.ts is the browser's (nsfwjs on TensorFlow.js).
 */
import type { Scores } from './thresholds';

export type { Scores } from './thresholds';

/** The TensorFlow.js backend a classifier runs on, fastest first. */
export type ShieldBackend = 'webgl' | 'wasm' | 'cpu';

export interface Classifier {
  /** Which backend the checks run on (for the bench and the overlay's "why"). */
  readonly backend: ShieldBackend;
  /** Which nsfwjs model was loaded (its folder name under /shield/models/). */
  readonly model: string;
  /** How long loading took, ms (fetching, compiling, warming up). */
  readonly loadMs: number;
  /** Scores one downscaled frame of the video as it is now. Nothing leaves the device. */
  classify(video: HTMLVideoElement): Promise<Scores>;
  /** Frees the model's memory (GPU textures, wasm heap). */
  dispose(): void;
}

/** Error code of a classifier that can't load, to branch on. */
export const SHIELD_UNAVAILABLE = 'SHIELD_UNAVAILABLE';

export async function loadClassifier(): Promise<Classifier> {
  throw Object.assign(new Error('this app has no on-device classifier on phones yet'), { code: SHIELD_UNAVAILABLE });
}
