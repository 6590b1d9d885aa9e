/**
 * Everything heavy the browser's shield needs, as one module that only shieldWorker.ts imports:
 * TensorFlow.js, its wasm backend and nsfwjs. The worker is a chunk of its own (Metro bundles a
 * `new Worker(new URL(…))` entry apart, self-contained), so none of it is in the page's bundles:
 * the first screen never downloads it, and the page's main thread never runs it.
 *
 * One module on purpose: earlier, as three lazy `import()`s in the page, Metro moved tfjs (shared
 * by nsfwjs and the wasm backend) into `__common`, which the first screen loads (+380 KB gzipped).
 * The wasm backend's JS rides along (small); its binaries are fetched only when WebGL is missing.
 * Web only: nothing on the phones imports it.
 */
export * as tf from '@tensorflow/tfjs';
export * as wasm from '@tensorflow/tfjs-backend-wasm';
export { load as loadNsfwjs } from 'nsfwjs/core';
export type { NSFWJS } from 'nsfwjs/core';
