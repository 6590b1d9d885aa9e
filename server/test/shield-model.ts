import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { RgbImage } from './shield-image.js';

/**
 * The app's shipped nsfwjs models in Node, offline, for the shield's tests, its adversarial
 * generator and its bench: TensorFlow.js on its WebAssembly backend (`@tensorflow/tfjs-node`
 * downloads a native library and cannot install here), the model from the package's own files.
 */

export const root = path.resolve(import.meta.dirname, '../..');

/** What these tests use of an nsfwjs model (nsfwjs is the app's dependency, so its types are out of this project's reach). */
export interface NsfwModel {
  model: tf.LayersModel | tf.GraphModel;
  classify(image: tf.Tensor3D, topk?: number): Promise<Array<{ className: string; probability: number }>>;
  dispose(): void;
}
interface NsfwjsModule {
  load(name: string): Promise<NsfwModel>;
}

/** nsfwjs is the app's dependency (apps/mobile/node_modules), tfjs is hoisted to the root: import nsfwjs's ESM build, so both share one tfjs. */
export async function importNsfwjs(): Promise<NsfwjsModule> {
  const require = createRequire(path.join(root, 'apps/mobile/package.json'));
  // Its exports hide package.json: the CommonJS entry is dist/cjs/index.js, the ESM one beside it.
  const cjs = require.resolve('nsfwjs');
  return (await import(pathToFileURL(path.join(path.dirname(cjs), '../esm/index.js')).href)) as NsfwjsModule;
}

/** The wasm backend, its binaries read from the installed package (no network). */
export async function useWasm(): Promise<void> {
  const require = createRequire(import.meta.url);
  setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend did not start');
  await tf.ready();
}

/** The model names nsfwjs ships; InceptionV3 is left out of the shield (too slow, see docs/safety.md). */
export const SHIELD_MODELS = ['MobileNetV2', 'MobileNetV2Mid'] as const;
export type ShieldModelName = (typeof SHIELD_MODELS)[number];

export type ModelScores = { Drawing: number; Hentai: number; Neutral: number; Porn: number; Sexy: number };

/** Loads a shipped model from the package's files (nsfwjs embeds the weights in its JS modules). */
export async function loadModel(name: ShieldModelName): Promise<NsfwModel> {
  const nsfwjs = await importNsfwjs();
  const quiet = console.info;
  console.info = () => {}; // nsfwjs advertises hosting on every load
  try {
    return await nsfwjs.load(name);
  } finally {
    console.info = quiet;
  }
}

/** Every class's probability for an RGB picture, as the app's classifier reports them. */
export async function classify(model: NsfwModel, image: RgbImage): Promise<ModelScores> {
  const input = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  try {
    const found = await model.classify(input, 5);
    const scores = { Drawing: 0, Hentai: 0, Neutral: 0, Porn: 0, Sexy: 0 };
    for (const { className, probability } of found) scores[className as keyof ModelScores] = probability;
    return scores;
  } finally {
    input.dispose();
  }
}
