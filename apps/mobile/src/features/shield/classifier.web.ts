/**
 * The shield's classifier in the browser: nsfwjs on TensorFlow.js, on this device only, in a
 * Web Worker (shieldWorker.ts) so that no check ever blocks the page's main thread.
 *
 * - Loaded ahead of need: `preloadShield` (useShield.ts) starts the worker when the app is idle
 *   after sign-in, so the model is ready before the first match. tfjs and nsfwjs are in the
 *   worker's own chunk, which the first screen never downloads (server/test/web-bundle.test.ts).
 * - From our own origin: the worker script, the model and the wasm binaries are files of the web
 *   build (the model and wasm under /shield/, put there by apps/mobile/scripts/shield-assets.mjs),
 *   never a CDN.
 * - Backends, fastest first: WebGL (a real GPU, through OffscreenCanvas), then WebAssembly (SIMD
 *   where the browser has it), then plain JS on the CPU. If none can run the model, loading fails
 *   and the video stays blurred (policy.ts).
 * - One check: the page asks the browser for the video's current frame already downscaled to the
 *   model's 224×224 (`createImageBitmap` with a resize), transfers it to the worker, and gets five
 *   scores back. The page's own part is that one call; the worker reads the pixels and runs the
 *   inference. Each load and check is a User Timing measure (`shield-load`, `shield-check`) that
 *   stays in the page, for the bench to read: a check's `busyMs` is the time the page's main
 *   thread and the worker spent working on it (not waiting), its cost to the device.
 *
 * Nothing of what is classified leaves the device: no frame, no score. The only requests are the
 * GETs of the worker script, the model and the wasm binary.
 */
import type { Classifier, Scores, ShieldBackend } from './classifier';
import { SHIELD_UNAVAILABLE } from './classifier';
import type { ShieldWorkerReply, ShieldWorkerRequest } from './shieldWorker';

export type { Classifier, Scores, ShieldBackend } from './classifier';
export { SHIELD_UNAVAILABLE } from './classifier';

/** Where the build puts the shield's files (same origin as the page). */
export const SHIELD_ASSETS_PATH = '/shield/';

/**
 * The models shipped (folders under /shield/models/), with how nsfwjs loads each. InceptionV3 is
 * not shipped (too slow for several checks a second). MobileNetV2Mid is the default: about 30%
 * less CPU per check than MobileNetV2 (measured in the browser and in Node) and more accurate by
 * nsfwjs's figures; the positive test fixture is made against both (docs/safety.md, "The model").
 */
export const SHIELD_MODELS = {
  mobilenet_v2: { type: 'layers', size: 224 },
  mobilenet_v2_mid: { type: 'graph', size: 224 },
} as const;
export type ShieldModel = keyof typeof SHIELD_MODELS;
export const DEFAULT_SHIELD_MODEL: ShieldModel = 'mobilenet_v2_mid';

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

export async function loadClassifier(options: LoadOptions = {}): Promise<Classifier> {
  const started = performance.now();
  const model = options.model ?? override(SHIELD_MODEL_KEY, Object.keys(SHIELD_MODELS)) ?? DEFAULT_SHIELD_MODEL;
  const forced = override(SHIELD_BACKEND_KEY, SHIELD_BACKENDS);
  const backends = options.backends ?? (forced ? [forced] : SHIELD_BACKENDS);
  const { type, size } = SHIELD_MODELS[model as ShieldModel];
  if (typeof Worker === 'undefined' || typeof window === 'undefined')
    throw unavailable('this browser has no Web Workers');

  // The literal form `new Worker(new URL('./file', base))` is what Metro recognises to bundle the
  // worker as a chunk of its own and put its URL here.
  const worker = new Worker(new URL('./shieldWorker', window.location.href));
  const assets = new URL(SHIELD_ASSETS_PATH, window.location.href).href;
  const pending = new Map<
    number,
    { resolve(scores: Scores): void; reject(error: Error): void; started: number; pageMs: number }
  >();
  let loaded: (reply: ShieldWorkerReply) => void = () => {};
  const ready = new Promise<ShieldWorkerReply>((resolve) => (loaded = resolve));
  let broken: Error | null = null;
  const breakAll = (error: Error) => {
    broken = error;
    loaded({ kind: 'unavailable', message: error.message });
    for (const check of pending.values()) check.reject(error);
    pending.clear();
  };
  // A function, not `if (broken) throw broken` inline: TypeScript keeps a check's narrowing
  // across an await, so a second inline check after one would look dead (and `broken` as never).
  const stopIfBroken = () => {
    if (broken) throw broken;
  };
  worker.onerror = (event) => breakAll(new Error(`the checker stopped (${event.message || 'its script failed'})`));
  worker.onmessage = (event: MessageEvent<ShieldWorkerReply>) => {
    const reply = event.data;
    if (reply.kind === 'loaded' || reply.kind === 'unavailable') return loaded(reply);
    const check = pending.get(reply.id);
    if (!check) return;
    pending.delete(reply.id);
    if (reply.kind === 'failed') return check.reject(new Error(reply.message));
    mark('shield-check', check.started, {
      model,
      backend: loadedBackend,
      busyMs: check.pageMs + reply.busyMs,
      workerMs: reply.busyMs,
    });
    check.resolve(reply.scores);
  };
  post(worker, {
    kind: 'load',
    modelUrl: `${assets}models/${model}/model.json`,
    type,
    size,
    backends,
    assetsUrl: assets,
  });

  const reply = await ready;
  if (reply.kind !== 'loaded') {
    worker.terminate();
    throw unavailable(reply.kind === 'unavailable' ? reply.message : 'the checker did not start');
  }
  const loadedBackend = reply.backend;
  const loadMs = performance.now() - started;
  mark('shield-load', started, { model, backend: loadedBackend, loadMs, workerLoadMs: reply.loadMs });

  const grab = frameGrabber(size, reply.readsBitmaps);
  let nextId = 0;
  return {
    backend: loadedBackend,
    model,
    loadMs,
    async classify(video: HTMLVideoElement): Promise<Scores> {
      stopIfBroken();
      const started = performance.now();
      const { frame, pageMs } = await grab(video);
      // The worker may have failed while the frame was read.
      stopIfBroken();
      const id = ++nextId;
      return new Promise<Scores>((resolve, reject) => {
        pending.set(id, { resolve, reject, started, pageMs });
        // A bitmap is handed over, not copied; pixels read by the page (224×224, 200 KB) are copied.
        post(worker, { kind: 'check', id, frame }, frame instanceof ImageData ? [] : [frame]);
      });
    },
    dispose() {
      breakAll(new Error('the checker was closed'));
      worker.terminate();
    },
  };
}

function post(worker: Worker, request: ShieldWorkerRequest, transfer: Transferable[] = []): void {
  worker.postMessage(request, transfer);
}

/**
 * How the page takes a frame for the worker. Where the browser can, `createImageBitmap` snapshots
 * the current frame and scales it to the model's input (the browser may do the scaling off the
 * main thread), and the worker reads its pixels. Otherwise (no createImageBitmap, or a worker
 * without OffscreenCanvas) the page draws the frame small on a canvas of its own and sends the
 * pixels: a few ms on this thread. `pageMs` is how long the page's thread was busy with it.
 */
function frameGrabber(
  size: number,
  workerReadsBitmaps: boolean,
): (video: HTMLVideoElement) => Promise<{ frame: ImageBitmap | ImageData; pageMs: number }> {
  if (workerReadsBitmaps && typeof createImageBitmap === 'function') {
    return async (video) => {
      const started = performance.now();
      const pending = createImageBitmap(video, { resizeWidth: size, resizeHeight: size, resizeQuality: 'low' });
      const pageMs = performance.now() - started;
      return { frame: await pending, pageMs };
    };
  }
  const canvas = makeCanvas(size);
  const context = canvas.getContext('2d', { willReadFrequently: true }) as
    CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!context) throw unavailable('no 2D canvas for the shield');
  return async (video) => {
    const started = performance.now();
    context.drawImage(video, 0, 0, size, size);
    const frame = context.getImageData(0, 0, size, size);
    return { frame, pageMs: performance.now() - started };
  };
}

function unavailable(message: string): Error {
  return Object.assign(new Error(message), { code: SHIELD_UNAVAILABLE });
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
