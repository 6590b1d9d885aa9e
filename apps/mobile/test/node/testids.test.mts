/**
 * The app's testIDs are a contract: the e2e suites here and acceptance tests outside this
 * repository find controls by them. docs/app.md lists every one; this fails when a component
 * has a testID the document lacks, or the document names one no component has.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const src = path.join(root, 'apps/mobile/src');

function components(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return components(full);
    return entry.name.endsWith('.tsx') ? [full] : [];
  });
}

/** `testID="x"` as `x`; `` testID={`category-${category.slug}`} `` as `category-<slug>` (the last name of each placeholder). */
function testIdsInCode(): Set<string> {
  const ids = new Set<string>();
  for (const file of components(src)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/testID=(?:"([^"]+)"|\{`([^`]+)`\})/g)) {
      ids.add(match[1] ?? match[2]!.replace(/\$\{[^}]*?(\w+)\}/g, '<$1>'));
    }
  }
  return ids;
}

/** The first column of docs/app.md's testID tables: `| \`id\` | … |`. */
function testIdsInDocs(): Set<string> {
  const doc = readFileSync(path.join(root, 'docs/app.md'), 'utf8');
  return new Set([...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1]!));
}

test('docs/app.md lists every testID the app has, and no other', () => {
  const code = testIdsInCode();
  const docs = testIdsInDocs();
  assert.ok(code.size > 150, `found ${code.size} testIDs in apps/mobile/src`);
  assert.deepEqual([...code].filter((id) => !docs.has(id)).sort(), [], 'in the app, missing from docs/app.md');
  assert.deepEqual([...docs].filter((id) => !code.has(id)).sort(), [], 'in docs/app.md, no longer in the app');
});
