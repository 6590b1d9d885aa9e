import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { decodePng, encodeY4m, neutralImages, resize, solid } from './shield-image.js';
import {
  classify,
  loadModel,
  root,
  SHIELD_MODELS,
  useWasm,
  type ModelScores,
  type NsfwModel,
  type ShieldModelName,
} from './shield-model.js';

/**
 * The shield's models, offline, in Node: each model the app ships (nsfwjs's MobileNetV2Mid, the
 * default, and MobileNetV2, from the package's own files, on TensorFlow.js's wasm backend) loads
 * without the network, calls ordinary pictures not sexual, and calls the committed adversarial
 * image (noise made by scripts/shield/make-adversarial.ts against both, not a picture of
 * anything) sexual, as the app's own thresholds decide. Several seconds in all.
 */

export const ADVERSARIAL_PNG = path.join(root, 'server/test/e2e/fixtures/shield-adversarial.png');

/** The app's thresholds (imported at run time: the app's sources are outside this project's type-check). */
async function appThresholds(): Promise<{ isSexual(scores: ModelScores): boolean; EXPLICIT_THRESHOLD: number }> {
  return import(pathToFileURL(path.join(root, 'apps/mobile/src/features/shield/thresholds.ts')).href);
}

const show = (scores: ModelScores) =>
  Object.entries(scores)
    .map(([name, p]) => `${name} ${p.toFixed(3)}`)
    .join(', ');

test('the app ships MobileNetV2Mid by default, and both models the adversarial image was made against', () => {
  // An adversarial image is specific to the models it was made against (the first one, made
  // against MobileNetV2 alone, MobileNetV2Mid called Neutral 0.996). If a model is added or the
  // default changes, make the image again against every shipped one: make-adversarial.ts --models.
  const source = fs.readFileSync(path.join(root, 'apps/mobile/src/features/shield/classifier.web.ts'), 'utf8');
  assert.match(source, /DEFAULT_SHIELD_MODEL: ShieldModel = 'mobilenet_v2_mid';/);
  // SHIELD_MODELS's entries, one a line: `  mobilenet_v2: { type: 'layers', size: 224 },`.
  const shipped = [...source.matchAll(/^\s+(\w+): \{ type: '(?:layers|graph)'/gm)].map((m) => m[1]);
  assert.deepEqual(shipped, ['mobilenet_v2', 'mobilenet_v2_mid'], 'the models the app ships');
});

for (const name of SHIELD_MODELS) describeModel(name);

function describeModel(name: ShieldModelName): void {
  describe(`the shield model ${name}, offline`, () => {
    let model: NsfwModel;
    let isSexual: (scores: ModelScores) => boolean;
    let threshold: number;

    before(async () => {
      // No network: any fetch would mean the model is not coming from the package's files.
      const realFetch = globalThis.fetch;
      globalThis.fetch = (async (input: unknown) => {
        throw new Error(`the model tried to fetch ${String(input)}`);
      }) as typeof fetch;
      try {
        await useWasm();
        model = await loadModel(name);
      } finally {
        globalThis.fetch = realFetch;
      }
      ({ isSexual, EXPLICIT_THRESHOLD: threshold } = await appThresholds());
    });

    test(`the shipped ${name} loads from the package files with the five classes`, async () => {
      const scores = await classify(model, solid([128, 128, 128]));
      assert.deepEqual(Object.keys(scores).sort(), ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
      const sum = Object.values(scores).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-3, `probabilities sum to 1: ${show(scores)}`);
    });

    test('ordinary pictures are not sexual: solid colours, gradients, text, a drawn face', async () => {
      const failures: string[] = [];
      for (const [name, image] of Object.entries(neutralImages())) {
        const scores = await classify(model, image);
        if (isSexual(scores)) failures.push(`${name}: ${show(scores)}`);
      }
      assert.deepEqual(failures, [], 'neutral pictures the model called sexual');
    });

    test('the committed adversarial image scores far above the threshold, as a PNG and as the camera clip it becomes', async () => {
      const image = decodePng(fs.readFileSync(ADVERSARIAL_PNG));
      const scores = await classify(model, image);
      assert.ok(isSexual(scores), `sexual by the app's thresholds: ${show(scores)}`);
      assert.ok(scores.Porn + scores.Hentai >= threshold + 0.3, `well above the ${threshold} bar: ${show(scores)}`);
      // What Chromium's fake camera shows of it: the Y4M clip's first frame (4:2:0), at 224 px.
      const clip = encodeY4m(resize(image, 448, 448), { frames: 1 });
      const decoded = decodeY4mFrame(clip);
      const fromClip = await classify(model, resize(decoded, 224, 224));
      assert.ok(isSexual(fromClip), `still sexual through the clip's 4:2:0: ${show(fromClip)}`);
    });
  });
}

/** The first frame of a Y4M clip back to RGB (BT.601 limited range, chroma upsampled by repetition). */
function decodeY4mFrame(clip: Buffer): { width: number; height: number; data: Uint8Array } {
  const headerEnd = clip.indexOf(0x0a);
  const header = clip.toString('ascii', 0, headerEnd);
  const width = Number(/ W(\d+)/.exec(header)![1]);
  const height = Number(/ H(\d+)/.exec(header)![1]);
  const start = clip.indexOf(0x0a, headerEnd + 1) + 1; // after "FRAME\n"
  const y = clip.subarray(start, start + width * height);
  const u = clip.subarray(start + width * height, start + width * height + (width * height) / 4);
  const v = clip.subarray(start + width * height + (width * height) / 4, start + (width * height * 3) / 2);
  const data = new Uint8Array(width * height * 3);
  const clamp = (n: number) => Math.max(0, Math.min(255, Math.round(n)));
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const c = 1.164 * (y[row * width + col]! - 16);
      const at = (row >> 1) * (width / 2) + (col >> 1);
      const d = u[at]! - 128;
      const e = v[at]! - 128;
      data.set([clamp(c + 1.596 * e), clamp(c - 0.392 * d - 0.813 * e), clamp(c + 2.017 * d)], (row * width + col) * 3);
    }
  }
  return { width, height, data };
}
