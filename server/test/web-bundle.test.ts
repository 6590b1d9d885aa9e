import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';

/**
 * The web build's first screen stays small (issue 14): TensorFlow.js and the shield's model are
 * loaded when the first match starts, never with the first screen. Measures the build that
 * scripts/setup.sh makes (apps/mobile/dist), as a browser receives it: each <script> of
 * index.html gzipped (the server's compression), against the baseline recorded last (web-bundle.baseline.json says when and why).
 */

const root = path.resolve(import.meta.dirname, '../..');
const dist = path.join(root, 'apps/mobile/dist');
const baseline = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'web-bundle.baseline.json'), 'utf8')) as {
  firstScreenGzipBytes: number;
  budgetBytes: number;
  commit: string;
};

/** The scripts index.html loads before anything is lazy. */
function firstScreenScripts(): Array<{ src: string; bytes: Buffer }> {
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  return [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map(([, src]) => ({
    src: src!,
    bytes: fs.readFileSync(path.join(dist, src!.replace(/^\//, ''))),
  }));
}

const skip = fs.existsSync(path.join(dist, 'index.html'))
  ? false
  : 'apps/mobile/dist is not built (scripts/setup.sh builds it)';

describe('the web build', { skip }, () => {
  test(`the first screen's JS grows by at most ${baseline.budgetBytes / 1024} KB gzipped over ${baseline.commit}`, () => {
    const scripts = firstScreenScripts();
    assert.ok(scripts.length > 0, 'index.html loads no script');
    const gzipped = scripts.reduce((sum, script) => sum + gzipSync(script.bytes, { level: 9 }).length, 0);
    const growth = gzipped - baseline.firstScreenGzipBytes;
    assert.ok(
      growth <= baseline.budgetBytes,
      `the first screen's JS is ${gzipped} bytes gzipped, ${growth} over the baseline of ${baseline.firstScreenGzipBytes} (budget ${baseline.budgetBytes}): ${scripts.map((s) => s.src).join(', ')}`,
    );
  });

  test('TensorFlow.js and nsfwjs are not in it (they load with the first match)', () => {
    for (const { src, bytes } of firstScreenScripts()) {
      const text = bytes.toString('utf8');
      // Strings that survive minification: a tfjs-core and a tfjs-backend-wasm flag name, an nsfwjs error.
      for (const marker of ['WEBGL_PACK', 'WASM_HAS_SIMD_SUPPORT', 'NSFWJS instance has been disposed']) {
        assert.ok(
          !text.includes(marker),
          `${src} contains "${marker}": tfjs or nsfwjs landed in the first screen (keep them behind import('./runtime'))`,
        );
      }
    }
  });

  test("the shield's model and wasm binaries are part of the build (served from our origin, nothing downloaded)", () => {
    for (const model of ['mobilenet_v2', 'mobilenet_v2_mid']) {
      const dir = path.join(dist, 'shield/models', model);
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
        weightsManifest: Array<{ paths: string[] }>;
      };
      for (const file of json.weightsManifest.flatMap((group) => group.paths)) {
        assert.match(file, /^weights\.[0-9a-f]{16}\.bin$/);
        assert.ok(fs.statSync(path.join(dir, file)).size > 1_000_000, `${model}/${file} holds the weights`);
      }
    }
    const wasm = fs.readdirSync(path.join(dist, 'shield')).find((name) => name.startsWith('tfjs-backend-wasm-'));
    assert.ok(wasm, 'no tfjs-backend-wasm-<version>/ folder in dist/shield');
    for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) {
      assert.deepEqual(
        [...fs.readFileSync(path.join(dist, 'shield', wasm, file)).subarray(0, 4)],
        [0, 0x61, 0x73, 0x6d],
        `${file} is WebAssembly`,
      );
    }
  });
});
