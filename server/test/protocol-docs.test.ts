import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import {
  AppealRequest,
  AppealResponse,
  AuditResponse,
  BannedLoginBody,
  CasesResponse,
  ClientMessage,
  ModActionRequest,
  ModActionResponse,
  ModAppealsResponse,
  ModUserResponse,
  NoticesResponse,
  ServerMessage,
  SetRoleRequest,
  SetRoleResponse,
} from '@small-talk/protocol';

/** Every frame docs/protocol.md shows is one the schemas accept: the examples cannot drift from the code. */
const doc = fs.readFileSync(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/protocol.md'),
  'utf8',
);
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

/**
 * The HTTP examples of the moderation part, each read with the schema of its answer or request:
 * parsing must succeed and keep every field, so a misspelt or missing field in the docs fails.
 */
const moderation = doc.slice(doc.indexOf('\n## Moderation\n'), doc.indexOf('\n## WebSocket `/ws`\n'));
const sections = new Map(
  moderation
    .split(/\n#{3,4} /)
    .slice(1)
    .map((part) => [part.slice(0, part.indexOf('\n')), part] as const),
);
const httpBodies = (section: string, kind: 'request' | 'response') =>
  [...section.matchAll(/```http\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .filter((block) => block.startsWith('HTTP/1.1') === (kind === 'response'))
    .map((block) => JSON.parse(block.slice(block.indexOf('\n\n') + 2).trim()) as unknown);

const examples: Array<[heading: string, kind: 'request' | 'response', schema: { parse(value: unknown): unknown }]> = [
  ['`PUT /api/admin/users/:id/role`', 'request', SetRoleRequest],
  ['`PUT /api/admin/users/:id/role`', 'response', SetRoleResponse],
  ['`GET /api/mod/cases`', 'response', CasesResponse],
  ['`GET /api/mod/users/:id`', 'response', ModUserResponse],
  ['`POST /api/mod/users/:id/actions`', 'request', ModActionRequest],
  ['`POST /api/mod/users/:id/actions`', 'response', ModActionResponse],
  ['What the affected user sees: `GET /api/me/notices`', 'response', NoticesResponse],
  ['Bans and the appeal token', 'response', BannedLoginBody],
  ['`POST /api/appeals`', 'request', AppealRequest],
  ['`POST /api/appeals`', 'response', AppealResponse],
  ['`GET /api/mod/appeals?status=open|closed`', 'response', ModAppealsResponse],
  ['`GET /api/mod/audit`', 'response', AuditResponse],
];

test('every moderation example in protocol.md parses with its schema and keeps every field', () => {
  for (const [heading, kind, schema] of examples) {
    const section = sections.get(heading);
    assert.ok(section, `no section "### ${heading}"`);
    const bodies = httpBodies(section, kind);
    assert.ok(bodies.length > 0, `no ${kind} example under "${heading}"`);
    for (const body of bodies) assert.deepEqual(schema.parse(body), body, `${heading}: ${JSON.stringify(body)}`);
  }
});
