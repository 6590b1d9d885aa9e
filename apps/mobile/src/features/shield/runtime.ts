/**
 * Everything heavy the browser's shield needs, as one module that classifier.web.ts imports
 * lazily (`import('./runtime')`): TensorFlow.js, its wasm backend and nsfwjs.
 *
 * One module on purpose: Metro moves a module that two lazy chunks share into `__common`, which
 * the first screen loads. Split as three `import()`s, tfjs (shared by nsfwjs and the wasm
 * backend) landed there and the first screen grew by ~380 KB gzipped; as one chunk, nothing of it
 * loads before the first match. The wasm backend's JS rides along (small); its binaries are
 * fetched only when WebGL is missing. Web only: nothing on the phones imports it.
 */
export * as tf from '@tensorflow/tfjs';
export * as wasm from '@tensorflow/tfjs-backend-wasm';
export { load as loadNsfwjs } from 'nsfwjs/core';
export type { NSFWJS } from 'nsfwjs/core';
