import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ClientMessage, ServerMessage } from '@small-talk/protocol';

/** Every frame docs/protocol.md shows is one the schemas accept: the examples cannot drift from the code. */
const doc = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/protocol.md'), 'utf8');
const frames = [...doc.matchAll(/```json\n([\s\S]*?)```/g)]
  .map((m) => m[1]!.trim())
  .filter((text) => text.startsWith('{"type"'));

test(`every WebSocket frame example in protocol.md parses (${frames.length})`, () => {
  assert.ok(frames.length >= 30, `only ${frames.length} examples found`);
  for (const text of frames) {
    const frame = JSON.parse(text) as unknown;
    const ok = ClientMessage.safeParse(frame).success || ServerMessage.safeParse(frame).success;
    assert.ok(ok, `not a valid frame: ${text}`);
  }
});
