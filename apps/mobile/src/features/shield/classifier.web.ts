/**
 * The shield's classifier in the browser: nsfwjs on TensorFlow.js, on this device only.
 *
 * - Loaded lazily: tfjs and nsfwjs are one dynamic `import('./runtime')`, a chunk of its own that
 *   the first screen never downloads (its bundle is checked: server/test/web-bundle.test.ts).
 * - From our own origin: the model and the wasm binaries are files of the web build under
 *   /shield/ (apps/mobile/scripts/shield-assets.mjs puts them there), never a CDN.
 * - Backends, fastest first: WebGL (the GPU), then WebAssembly (SIMD where the browser has it),
 *   then plain JS on the CPU. A backend that can't start, or can't run the model, gives way to
 *   the next; if none can, loading fails and the video stays blurred (policy.ts).
 * - One check: the video's current frame drawn downscaled (to the model's 224×224 input) on an
 *   offscreen canvas, then one inference. Each load and check is a User Timing measure
 *   (`shield-load`, `shield-check`) that stays in the page, for the bench to read.
 *
 * Nothing of what is classified leaves the device: no frame, no score. The only requests are
 * the GETs of the model and wasm files (and tfjs fetches nothing else).
 */
import type { Classifier, Scores, ShieldBackend } from './classifier';

export type { Classifier, Scores, ShieldBackend } from './classifier';
export { SHIELD_UNAVAILABLE } from './classifier';

/** Where the build puts the shield's files (same origin as the page). */
export const SHIELD_ASSETS_PATH = '/shield/';

/**
 * The models shipped (folders under /shield/models/), with how nsfwjs loads each. InceptionV3 is
 * not shipped (too slow for several checks a second). MobileNetV2Mid measured cheaper per check
 * and is more accurate; MobileNetV2 stays the default until the positive test fixture is made
 * against both (docs/safety.md, "The model").
 */
export const SHIELD_MODELS = {
  mobilenet_v2: { type: 'layers', size: 224 },
  mobilenet_v2_mid: { type: 'graph', size: 224 },
} as const;
export type ShieldModel = keyof typeof SHIELD_MODELS;
export const DEFAULT_SHIELD_MODEL: ShieldModel = 'mobilenet_v2';

/** Order the backends are tried in. */
export const SHIELD_BACKENDS: readonly ShieldBackend[] = ['webgl', 'wasm', 'cpu'];

/**
 * localStorage keys that pick another model or backend on this device, for the bench (which
 * compares them) and for debugging. Unset in normal use.
 */
export const SHIELD_MODEL_KEY = 'smalltalk.shield.model';
export const SHIELD_BACKEND_KEY = 'smalltalk.shield.backend';

export interface LoadOptions {
  model?: ShieldModel;
  /** Backends to try, in order (default SHIELD_BACKENDS). */
  backends?: readonly ShieldBackend[];
}

type Runtime = typeof import('./runtime');
type Tf = Runtime['tf'];

export async function loadClassifier(options: LoadOptions = {}): Promise<Classifier> {
  const started = performance.now();
  const model = options.model ?? override(SHIELD_MODEL_KEY, Object.keys(SHIELD_MODELS)) ?? DEFAULT_SHIELD_MODEL;
  const forced = override(SHIELD_BACKEND_KEY, SHIELD_BACKENDS);
  const backends = options.backends ?? (forced ? [forced] : SHIELD_BACKENDS);
  const runtime = await import('./runtime');
  const { tf } = runtime;
  // Production mode: tfjs skips its NaN checks on every op's output (they cost time per check).
  tf.env().set('PROD', true);

  const { type, size } = SHIELD_MODELS[model as ShieldModel];
  const failures: string[] = [];
  for (const backend of backends) {
    if (!(await startBackend(runtime, backend).catch(() => false))) {
      failures.push(`${backend}: unavailable`);
      continue;
    }
    try {
      // nsfwjs.load fetches model.json and its weights, then runs one warm-up inference (which
      // compiles WebGL's shaders): a backend that can't run the model fails here, not mid-call.
      const net = await runtime.loadNsfwjs(`${SHIELD_ASSETS_PATH}models/${model}/model.json`, { type, size });
      const loadMs = performance.now() - started;
      mark('shield-load', started, { model, backend, loadMs });
      return makeClassifier(tf, net, { model, backend, size, loadMs });
    } catch (error) {
      failures.push(`${backend}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw Object.assign(new Error(`no TensorFlow.js backend could run the model (${failures.join('; ')})`), {
    code: 'SHIELD_UNAVAILABLE',
  });
}

async function startBackend({ tf, wasm }: Runtime, backend: ShieldBackend): Promise<boolean> {
  if (backend === 'webgl' && !hasHardwareWebGL()) return false;
  if (backend === 'wasm') {
    // The binaries' folder is named by the package version (shield-assets.mjs), so it can be cached for good.
    wasm.setWasmPaths(`${SHIELD_ASSETS_PATH}tfjs-backend-wasm-${wasm.version_wasm}/`);
    // Threads need cross-origin isolation, which the app doesn't have: use the SIMD or plain binary.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(backend))) return false;
  await tf.ready();
  return tf.getBackend() === backend;
}

function makeClassifier(
  tf: Tf,
  net: import('./runtime').NSFWJS,
  info: { model: string; backend: ShieldBackend; size: number; loadMs: number },
): Classifier {
  // One canvas for every check, at the model's input size: drawImage does the downscale on the
  // GPU (or in the compositor), so the JS side only ever reads 224×224 pixels, not a 720p frame.
  const canvas = makeCanvas(info.size);
  const context = canvas.getContext('2d', { willReadFrequently: true }) as
    | CanvasRenderingContext2D
    | OffscreenCanvasRenderingContext2D
    | null;
  if (!context) throw new Error('no 2D canvas for the shield');
  return {
    backend: info.backend,
    model: info.model,
    loadMs: info.loadMs,
    async classify(video: HTMLVideoElement): Promise<Scores> {
      const started = performance.now();
      context.drawImage(video, 0, 0, info.size, info.size);
      const frame = context.getImageData(0, 0, info.size, info.size);
      const predictions = await net.classify(frame, 5);
      const scores: Scores = { Drawing: 0, Hentai: 0, Neutral: 0, Porn: 0, Sexy: 0 };
      for (const { className, probability } of predictions) scores[className] = probability;
      mark('shield-check', started, { model: info.model, backend: info.backend });
      return scores;
    },
    dispose() {
      net.dispose();
      tf.disposeVariables();
    },
  };
}

/**
 * Whether WebGL runs on a GPU. A browser without one (a VM, a blocklisted driver, headless
 * Chromium here) may still offer WebGL in software (SwiftShader, llvmpipe): measured here, the
 * model then took ~40 s to load and 7-11 s per check, with the page frozen meanwhile, where the
 * wasm backend takes well under a second. `failIfMajorPerformanceCaveat` is how a page asks for
 * "a GPU or nothing"; the renderer's name catches a browser that doesn't honour it.
 */
function hasHardwareWebGL(): boolean {
  if (typeof document === 'undefined') return false;
  const canvas = document.createElement('canvas');
  const gl = (canvas.getContext('webgl2', { failIfMajorPerformanceCaveat: true }) ??
    canvas.getContext('webgl', { failIfMajorPerformanceCaveat: true })) as WebGLRenderingContext | null;
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext(); // give the context back: browsers cap how many a page holds
  return !/swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer);
}

function makeCanvas(size: number): OffscreenCanvas | HTMLCanvasElement {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(size, size);
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  return canvas;
}

function override<T extends string>(key: string, allowed: readonly T[]): T | undefined {
  try {
    const value = globalThis.localStorage?.getItem(key);
    return allowed.includes(value as T) ? (value as T) : undefined;
  } catch {
    return undefined; // storage blocked (privacy mode): no override
  }
}

/** A User Timing measure: stays in this page (performance entries are never sent anywhere). */
function mark(name: string, start: number, detail: Record<string, unknown>): void {
  try {
    performance.measure(name, { start, end: performance.now(), detail });
  } catch {
    // Older browsers without measure options: the bench then has no figure, the shield still works.
  }
}
