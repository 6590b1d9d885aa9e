#!/usr/bin/env node
/**
 * Puts the shield's model and TensorFlow.js's wasm binaries where the web app loads them from:
 * apps/mobile/public/shield/, which `expo export` copies into dist/ (served by our server at
 * /shield/) and `expo start` serves in development. Everything comes from the installed npm
 * packages: nothing is downloaded, at build time or at run time, and no CDN is ever asked.
 *
 *   public/shield/models/<model>/model.json               the topology; names its weight file
 *   public/shield/models/<model>/weights.<sha256:16>.bin  the weights, named by their content
 *   public/shield/tfjs-backend-wasm-<version>/*.wasm      named by the package version
 *
 * nsfwjs ships each model as JS modules holding the JSON and base64 weights (for bundlers);
 * bundling those would put ~9 MB of base64 into a JS chunk that must be parsed before use. Here
 * they become the plain model.json + binary weights that tf.loadLayersModel/loadGraphModel fetch.
 * Weight and wasm files never change under their names, so the server caches them for good
 * (immutable); model.json is revalidated (ETag), so a new model reaches browsers on the next load.
 *
 * Usage: node scripts/shield-assets.mjs [outDir]   (default: apps/mobile/public/shield)
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const app = path.resolve(import.meta.dirname, '..');
const require = createRequire(path.join(app, 'package.json'));

/** The models the shield may use (folder names in nsfwjs/dist/models): InceptionV3 is too slow (docs/safety.md). */
export const SHIELD_MODELS = ['mobilenet_v2', 'mobilenet_v2_mid'];

/** Only the non-threaded binaries: threads need cross-origin isolation (COOP/COEP), which the app doesn't set. */
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

function writeIfChanged(file, data) {
  const next = typeof data === 'string' ? Buffer.from(data) : data;
  if (fs.existsSync(file) && fs.readFileSync(file).equals(next)) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, next);
  return true;
}

/** Removes files of an earlier build (old hashes or versions) that this build did not write. */
function prune(dir, keep) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (keep.has(full)) continue;
    if (entry.isDirectory() && [...keep].some((k) => k.startsWith(full + path.sep))) prune(full, keep);
    else fs.rmSync(full, { recursive: true, force: true });
  }
}

export function writeShieldAssets(outDir = path.join(app, 'public', 'shield')) {
  const written = new Set();
  const nsfwModels = path.join(path.dirname(require.resolve('nsfwjs')), '..', 'models');
  for (const model of SHIELD_MODELS) {
    const json = require(path.join(nsfwModels, model, 'model.min.js'));
    const manifest = json.weightsManifest.map((group) => {
      // One file per weight group: the shards' bytes in order, exactly as tfjs would concatenate them.
      const bytes = Buffer.concat(
        group.paths.map((shard) => Buffer.from(require(path.join(nsfwModels, model, `${shard}.min.js`)), 'base64')),
      );
      const name = `weights.${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.bin`;
      const file = path.join(outDir, 'models', model, name);
      writeIfChanged(file, bytes);
      written.add(file);
      return { paths: [name], weights: group.weights };
    });
    const file = path.join(outDir, 'models', model, 'model.json');
    writeIfChanged(file, JSON.stringify({ ...json, weightsManifest: manifest }));
    written.add(file);
  }

  const wasmPackage = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const { version } = JSON.parse(fs.readFileSync(path.join(wasmPackage, 'package.json'), 'utf8'));
  for (const name of WASM_FILES) {
    const file = path.join(outDir, `tfjs-backend-wasm-${version}`, name);
    writeIfChanged(file, fs.readFileSync(path.join(wasmPackage, 'dist', name)));
    written.add(file);
  }
  prune(outDir, written);
  return [...written];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outDir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(app, 'public', 'shield');
  const files = writeShieldAssets(outDir);
  console.log(`shield assets: ${files.length} files in ${path.relative(process.cwd(), outDir) || '.'}`);
}
