/**
 * The shield's checks, off the page's main thread: a Web Worker that owns TensorFlow.js, its
 * backend and the model, so a check never blocks the page (taps, React, the call's own work).
 * classifier.web.ts starts it (`new Worker(new URL('./shieldWorker', …))`: Metro bundles it as a
 * chunk of its own, served from our origin under the same CSP, which already allows
 * `worker-src 'self'` and `'wasm-unsafe-eval'`) and talks to it with the messages below.
 *
 * - `load`: start the first backend that works (WebGL only on a real GPU, through OffscreenCanvas;
 *   else WebAssembly; else plain JS), fetch the model from our origin, and run a warm-up check on
 *   a blank frame through the very path a real check takes, so the first real one is not slow.
 * - `check`: one frame, already downscaled by the page (an ImageBitmap it transferred, or the
 *   pixels it read itself where this worker has no OffscreenCanvas), read into the model's input,
 *   one inference, five scores back. `busyMs` is how long this thread worked on it, start to end
 *   with no waiting inside: what the check costs the device (the bench's "share of a core").
 *
 * Nothing leaves this worker but the scores, to the page that asked: no request but the GETs of
 * the model and the wasm binary.
 */
import type { Scores, ShieldBackend } from './classifier';
import { loadNsfwjs, tf, wasm, type NSFWJS } from './runtime';

export type ShieldWorkerRequest =
  | {
      kind: 'load';
      /** Absolute URL of the model's model.json (on our origin). */
      modelUrl: string;
      /** nsfwjs's model type and input side. */
      type: 'layers' | 'graph';
      size: number;
      /** Backends to try, in order. */
      backends: readonly ShieldBackend[];
      /** Absolute URL of /shield/ on our origin (the wasm binaries are under it). */
      assetsUrl: string;
    }
  | { kind: 'check'; id: number; frame: ImageBitmap | ImageData };

export type ShieldWorkerReply =
  | {
      kind: 'loaded';
      backend: ShieldBackend;
      /** Load time inside the worker, ms (backend, model, warm-up). */
      loadMs: number;
      /** Whether this worker can read an ImageBitmap's pixels (OffscreenCanvas 2D); else the page sends pixels. */
      readsBitmaps: boolean;
    }
  | { kind: 'unavailable'; message: string }
  | { kind: 'scores'; id: number; scores: Scores; busyMs: number }
  | { kind: 'failed'; id: number; message: string };

/** nsfwjs's classes in the order of the model's outputs (its NSFW_CLASSES). */
const CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;

interface WorkerScope {
  onmessage: ((event: MessageEvent<ShieldWorkerRequest>) => void) | null;
  postMessage(message: ShieldWorkerReply): void;
}
const scope = self as unknown as WorkerScope;

let net: NSFWJS | null = null;
let size = 224;
/** Where a transferred ImageBitmap is drawn to read its pixels (one for every check). */
let reader: OffscreenCanvasRenderingContext2D | null = null;

scope.onmessage = (event) => {
  const request = event.data;
  if (request.kind === 'load') void load(request);
  else check(request.id, request.frame);
};

async function load(request: Extract<ShieldWorkerRequest, { kind: 'load' }>): Promise<void> {
  const started = performance.now();
  // Production mode: tfjs skips its NaN checks on every op's output (they cost time per check).
  tf.env().set('PROD', true);
  size = request.size;
  reader = makeReader(size);
  const failures: string[] = [];
  for (const backend of request.backends) {
    if (!(await startBackend(backend, request.assetsUrl).catch(() => false))) {
      failures.push(`${backend}: unavailable`);
      continue;
    }
    try {
      // nsfwjs.load fetches model.json and its weights, then runs one inference on zeros (which
      // compiles WebGL's shaders): a backend that can't run the model fails here, not mid-call.
      net = await loadNsfwjs(request.modelUrl, { type: request.type, size });
      // And one through a check's own path (a bitmap drawn and read, pixels in, scores out): its
      // first-time costs (the 2D canvas, kernels set up, buffers allocated) are paid now, not by
      // the first frame of a call.
      await warmUp();
      scope.postMessage({
        kind: 'loaded',
        backend,
        loadMs: performance.now() - started,
        readsBitmaps: reader !== null,
      });
      return;
    } catch (error) {
      net?.dispose();
      net = null;
      failures.push(`${backend}: ${messageOf(error)}`);
    }
  }
  scope.postMessage({
    kind: 'unavailable',
    message: `no TensorFlow.js backend could run the model (${failures.join('; ')})`,
  });
}

async function warmUp(): Promise<void> {
  const blank = new ImageData(size, size);
  if (!reader || typeof createImageBitmap !== 'function') return void infer(blank);
  const bitmap = await createImageBitmap(blank);
  try {
    infer(pixelsOf(bitmap));
  } finally {
    bitmap.close();
  }
}

function check(id: number, frame: ImageBitmap | ImageData): void {
  const started = performance.now();
  try {
    if (!net) throw new Error('the model is not loaded');
    const scores = infer(frame instanceof ImageData ? frame : pixelsOf(frame));
    scope.postMessage({ kind: 'scores', id, scores, busyMs: performance.now() - started });
  } catch (error) {
    scope.postMessage({ kind: 'failed', id, message: messageOf(error) });
  } finally {
    if (!(frame instanceof ImageData)) frame.close();
  }
}

/** One inference, synchronous: on wasm and the CPU the work is done here; on WebGL this waits for the GPU. */
function infer(pixels: ImageData): Scores {
  const output = net!.infer(pixels);
  try {
    const values = output.dataSync();
    const scores = { Drawing: 0, Hentai: 0, Neutral: 0, Porn: 0, Sexy: 0 } satisfies Scores;
    CLASSES.forEach((name, i) => (scores[name] = values[i] ?? 0));
    return scores;
  } finally {
    output.dispose();
  }
}

function pixelsOf(bitmap: ImageBitmap): ImageData {
  if (!reader) throw new Error('this browser cannot read frames in a worker');
  // The page asked for a bitmap at the model's size; a browser that ignored the resize gets it here.
  reader.drawImage(bitmap, 0, 0, size, size);
  return reader.getImageData(0, 0, size, size);
}

function makeReader(side: number): OffscreenCanvasRenderingContext2D | null {
  if (typeof OffscreenCanvas === 'undefined') return null;
  try {
    return new OffscreenCanvas(side, side).getContext('2d', { willReadFrequently: true });
  } catch {
    return null;
  }
}

async function startBackend(backend: ShieldBackend, assetsUrl: string): Promise<boolean> {
  if (backend === 'webgl' && !hasHardwareWebGL()) return false;
  if (backend === 'wasm') {
    // The binaries' folder is named by the package version (shield-assets.mjs), so it can be cached for good.
    wasm.setWasmPaths(`${assetsUrl}tfjs-backend-wasm-${wasm.version_wasm}/`);
    // Threads need cross-origin isolation, which the app doesn't have: use the SIMD or plain binary.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(backend))) return false;
  await tf.ready();
  return tf.getBackend() === backend;
}

/**
 * Whether WebGL (through OffscreenCanvas, the only canvas a worker has) runs on a GPU. A browser
 * without one (a VM, a blocklisted driver, headless Chromium here) may still offer WebGL in
 * software (SwiftShader, llvmpipe): measured here, the model then took ~40 s to load and 7-11 s
 * per check, where wasm takes well under a second. `failIfMajorPerformanceCaveat` is how to ask
 * for "a GPU or nothing"; the renderer's name catches a browser that doesn't honour it.
 */
function hasHardwareWebGL(): boolean {
  if (typeof OffscreenCanvas === 'undefined') return false;
  const canvas = new OffscreenCanvas(1, 1);
  const gl = (canvas.getContext('webgl2', { failIfMajorPerformanceCaveat: true }) ??
    canvas.getContext('webgl', { failIfMajorPerformanceCaveat: true })) as WebGLRenderingContext | null;
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext(); // give the context back: browsers cap how many a page holds
  return !/swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
