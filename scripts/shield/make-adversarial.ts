/**
 * Makes the shield's positive test image without any explicit picture: starting from random
 * noise, gradient ascent on the shipped nsfwjs models' `Porn` class until each model (`--models`:
 * by default both the app ships, MobileNetV2Mid and MobileNetV2) scores it far above the shield's
 * threshold, even after what a video call does to a picture (downscaling, blur, noise, a
 * brightness change, 8-bit rounding). Writes server/test/e2e/fixtures/shield-adversarial.png.
 *
 *   node --import tsx scripts/shield/make-adversarial.ts [--steps 300] [--seed 14] [--out path]
 *
 * Runs once, by hand (about 25 minutes for both models on a loaded 2-core machine); not part of `npm test`. Offline: the models come from
 * the nsfwjs package's own files. TensorFlow.js runs on its WebAssembly backend
 * (@tensorflow/tfjs-node downloads a native library and cannot install here; the pure-JS CPU
 * backend takes ~50 s a gradient). The wasm backend lacks three kernels the gradient needs: the
 * filters' gradients are never used here, so they return zeros; the depthwise convolution's input
 * gradient runs on the CPU backend's kernel.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { encodePng } from '../../server/test/shield-image.js';
import {
  loadModel,
  SHIELD_MODELS,
  useWasm,
  type NsfwModel as NSFWJS,
  type ShieldModelName,
} from '../../server/test/shield-model.js';

const root = path.resolve(import.meta.dirname, '../..');
const { values: flags } = parseArgs({
  options: {
    steps: { type: 'string', default: '300' },
    seed: { type: 'string', default: '14' },
    out: { type: 'string', default: path.join(root, 'server/test/e2e/fixtures/shield-adversarial.png') },
    /** Stop once every model scores Porn at least this on the plain and the degraded image. */
    target: { type: 'string', default: '0.97' },
    /** The models attacked, comma-separated: every model the app ships (its default is MobileNetV2Mid). */
    models: { type: 'string', default: 'MobileNetV2,MobileNetV2Mid' },
    views: { type: 'string', default: '1' },
    rate: { type: 'string', default: '0.1' },
  },
});

const MODELS = flags.models.split(',').map((name) => {
  if (!(SHIELD_MODELS as readonly string[]).includes(name))
    throw new Error(`--models: ${name} is not one of ${SHIELD_MODELS.join(', ')}`);
  return name as ShieldModelName;
});
const PORN = 3; // index in nsfwjs's NSFW_CLASSES
const MODEL_SIZE = 224;
/** The image is drawn at this side, from a latent of LATENT side: smooth enough to survive a video codec. */
const OUT_SIZE = 448;
const LATENT = 56;

/** A deterministic generator (mulberry32), so a run can be repeated. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function wasmWithGradients(): Promise<void> {
  await tf.setBackend('cpu');
  const cpu = tf.backend();
  await useWasm();
  const zeros = (kernelName: string) =>
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ backend, attrs }) => {
        const shape = (attrs as { filterShape: number[] }).filterShape;
        const size = shape.reduce((a, b) => a * b, 1);
        return {
          dataId: (backend as tf.KernelBackend).write(new Float32Array(size), shape, 'float32'),
          shape,
          dtype: 'float32',
        };
      },
    });
  zeros('Conv2DBackpropFilter');
  zeros('DepthwiseConv2dNativeBackpropFilter');
  const onCpu = (kernelName: string) => {
    const kernel = tf.getKernel(kernelName, 'cpu');
    if (!kernel) throw new Error(`no CPU kernel ${kernelName}`);
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const wasm = backend as tf.KernelBackend;
        const moved: Record<string, tf.TensorInfo> = {};
        for (const [name, t] of Object.entries(inputs)) {
          moved[name] = {
            dataId: cpu.write(wasm.readSync(t.dataId) as Float32Array, t.shape, t.dtype),
            shape: t.shape,
            dtype: t.dtype,
          };
        }
        const out = kernel.kernelFunc({ inputs: moved, backend: cpu, attrs }) as tf.TensorInfo;
        const back = {
          dataId: wasm.write(cpu.readSync(out.dataId) as Float32Array, out.shape, out.dtype),
          shape: out.shape,
          dtype: out.dtype,
        };
        cpu.disposeData(out.dataId);
        for (const t of Object.values(moved)) cpu.disposeData(t.dataId);
        return back;
      },
    });
  };
  onCpu('DepthwiseConv2dNativeBackpropInput');
}

/** The image, values 0..1, [OUT_SIZE, OUT_SIZE, 3], from the latent. */
function render(latent: tf.Tensor3D): tf.Tensor3D {
  return tf.sigmoid(tf.image.resizeBilinear(latent, [OUT_SIZE, OUT_SIZE])) as tf.Tensor3D;
}

/** What a call might do to the picture before the viewer's classifier sees it. */
function degrade(image: tf.Tensor3D, rand: () => number): tf.Tensor4D {
  // A crop of 85–100% of the side, anywhere.
  const side = Math.round(OUT_SIZE * (0.85 + 0.15 * rand()));
  const top = Math.floor(rand() * (OUT_SIZE - side + 1));
  const left = Math.floor(rand() * (OUT_SIZE - side + 1));
  let x = tf.slice(image, [top, left, 0], [side, side, 3]);
  // Sent small (the encoder starts at 320×240), shown larger: down to 96–224 px and back up.
  const low = Math.round(96 + 128 * rand());
  x = tf.image.resizeBilinear(x, [low, low]);
  x = tf.image.resizeBilinear(x, [MODEL_SIZE, MODEL_SIZE]);
  // Brightness and contrast drift, then sensor/codec noise.
  x = tf.add(tf.mul(x, 0.85 + 0.3 * rand()), (rand() - 0.5) * 0.1);
  x = tf.add(x, tf.randomNormal(x.shape, 0, 0.03));
  return tf.clipByValue(x, 0, 1).expandDims(0) as tf.Tensor4D;
}

/** Porn probability of each model for a [1, 224, 224, 3] batch of 0..1 values. */
function pornScores(models: NSFWJS[], batch: tf.Tensor4D): tf.Tensor1D[] {
  return models.map(
    (model) =>
      (model.model.predict(batch) as tf.Tensor2D)
        .reshape([5])
        .mul(tf.oneHot(PORN, 5).toFloat())
        .sum()
        .reshape([1]) as tf.Tensor1D,
  );
}

async function scoresOf(models: NSFWJS[], image: tf.Tensor3D): Promise<{ plain: number[]; degraded: number[] }> {
  const plain = tf.tidy(() =>
    pornScores(models, tf.image.resizeBilinear(image, [MODEL_SIZE, MODEL_SIZE]).expandDims(0) as tf.Tensor4D).map(
      (s) => s.dataSync()[0]!,
    ),
  );
  // A fixed, harsh degradation: 128 px and back, 8-bit rounding.
  const degraded = tf.tidy(() => {
    const small = tf.image.resizeBilinear(image, [128, 128]);
    const rounded = tf.div(tf.round(tf.mul(small, 255)), 255);
    return pornScores(
      models,
      tf.image.resizeBilinear(rounded as tf.Tensor3D, [MODEL_SIZE, MODEL_SIZE]).expandDims(0) as tf.Tensor4D,
    ).map((s) => s.dataSync()[0]!);
  });
  return { plain, degraded };
}

async function main(): Promise<void> {
  await wasmWithGradients();
  const models: NSFWJS[] = [];
  for (const name of MODELS) models.push(await loadModel(name));
  const rand = random(Number(flags.seed));
  const target = Number(flags.target);
  // Start from noise: a uniformly random latent, so the first image is coloured static.
  const latent = tf.variable(
    tf.tensor3d(
      Float32Array.from({ length: LATENT * LATENT * 3 }, () => (rand() - 0.5) * 4),
      [LATENT, LATENT, 3],
    ),
  );
  const optimizer = tf.train.adam(Number(flags.rate));
  const started = Date.now();
  for (let step = 0; step <= Number(flags.steps); step++) {
    if (step % 10 === 0) {
      const image = render(latent);
      const { plain, degraded } = await scoresOf(models, image);
      image.dispose();
      console.log(
        `step ${step} (${((Date.now() - started) / 1000).toFixed(0)} s): Porn plain ${plain.map((s) => s.toFixed(3)).join(' / ')}, degraded ${degraded.map((s) => s.toFixed(3)).join(' / ')}`,
      );
      if ([...plain, ...degraded].every((s) => s >= target)) break;
    }
    // Random degradations each step; maximise the mean log-probability over models and views.
    optimizer.minimize(
      () => {
        const image = render(latent);
        const views = Array.from({ length: Number(flags.views) }, () => degrade(image, rand));
        const logs = views.flatMap((view) => pornScores(models, view).map((s) => tf.log(tf.add(s, 1e-6))));
        return tf.neg(tf.mean(tf.concat(logs))) as tf.Scalar;
      },
      false,
      [latent],
    );
  }
  const image = render(latent);
  const pixels = Uint8Array.from(await image.mul(255).round().data());
  const { plain, degraded } = await scoresOf(models, image);
  fs.mkdirSync(path.dirname(flags.out), { recursive: true });
  fs.writeFileSync(flags.out, encodePng({ width: OUT_SIZE, height: OUT_SIZE, data: pixels }));
  console.log(
    `wrote ${flags.out}: Porn ${MODELS.map((m, i) => `${m} ${plain[i]!.toFixed(3)} (degraded ${degraded[i]!.toFixed(3)})`).join(', ')}`,
  );
}

await main();
