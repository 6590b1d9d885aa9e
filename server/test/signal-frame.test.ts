import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientMessage } from '@small-talk/protocol';
import { signalFrom } from '../src/signaling/signal-frame.js';

/**
 * signalFrom stands in for the protocol's schema on the relay's hot path: it must accept exactly
 * the signals the schema accepts, and hand everything else to the schema, whose error the client
 * then gets as before. Every frame here goes through both, as the socket would parse it.
 */
const ID = '0b8a1f2e-9c4d-4e5f-8a6b-7c8d9e0f1a2b';
const frames: string[] = [
  // Accepted.
  `{"type":"signal","roomId":"${ID}","data":{"sdp":"v=0"}}`,
  `{"type":"signal","roomId":"r","data":null}`,
  `{"type":"signal","roomId":"r","data":0}`,
  `{"type":"signal","roomId":"r","data":false}`,
  `{"type":"signal","roomId":"r","data":""}`,
  `{"type":"signal","roomId":"r","data":[]}`,
  `{"type":"signal","roomId":"${'r'.repeat(64)}","data":{}}`,
  `{"type":"signal","roomId":"r","ref":"a","data":{}}`,
  `{"type":"signal","roomId":"r","ref":"${'a'.repeat(64)}","data":{}}`,
  `{"type":"signal","roomId":"r","data":{},"extra":[1,2,3]}`,
  `{"data":{"s":1},"roomId":"r","type":"signal"}`,
  `{"type":"sign\\u0061l","roomId":"r\\u00e9","data":{}}`,
  `{"type":"signal","roomId":"r","data":{},"__proto__":{"data":1}}`,
  `{"type":"signal","type":"signal","roomId":"r","data":1}`,
  // Refused: the schema says why.
  `{"type":"signal","data":{}}`,
  `{"type":"signal","roomId":"r"}`,
  `{"type":"signal","roomId":"","data":{}}`,
  `{"type":"signal","roomId":"${'r'.repeat(65)}","data":{}}`,
  `{"type":"signal","roomId":7,"data":{}}`,
  `{"type":"signal","roomId":null,"data":{}}`,
  `{"type":"signal","roomId":["r"],"data":{}}`,
  `{"type":"signal","roomId":"r","ref":"","data":{}}`,
  `{"type":"signal","roomId":"r","ref":"${'a'.repeat(65)}","data":{}}`,
  `{"type":"signal","roomId":"r","ref":null,"data":{}}`,
  `{"type":"signal","roomId":"r","ref":5,"data":{}}`,
  `{"type":"Signal","roomId":"r","data":{}}`,
  `{"type":"signal ","roomId":"r","data":{}}`,
  `{"type":["signal"],"roomId":"r","data":{}}`,
  `{"type":"chat","roomId":"r","data":{}}`,
  `{"roomId":"r","data":{}}`,
  `{"type":"signal","type":"chat","roomId":"r","data":{}}`,
  `[{"type":"signal","roomId":"r","data":{}}]`,
  `"signal"`,
  `null`,
  `42`,
];

test('signalFrom accepts exactly the signals the schema accepts, with the same fields', () => {
  for (const text of frames) {
    const json: unknown = JSON.parse(text);
    const parsed = ClientMessage.safeParse(json);
    const fast = signalFrom(json);
    const schemaSignal = parsed.success && parsed.data.type === 'signal' ? parsed.data : null;
    if (schemaSignal === null) {
      assert.equal(fast, null, `${text}: the schema refuses it, so signalFrom must leave it to the schema`);
      continue;
    }
    assert.ok(fast, `${text}: the schema accepts it, so signalFrom must too`);
    assert.equal(fast.type, 'signal');
    assert.equal(fast.roomId, schemaSignal.roomId, text);
    assert.equal(fast.ref, schemaSignal.ref, text);
    assert.deepEqual(fast.data, schemaSignal.data, text);
  }
});

test('frames of every other type are left to the schema', () => {
  for (const frame of [
    { type: 'join', categories: ['music'] },
    { type: 'chat', roomId: 'r', text: 'hi' },
    { type: 'typing', roomId: 'r' },
    { type: 'leave', roomId: 'r' },
    { type: 'cancel' },
  ]) {
    assert.equal(signalFrom(frame), null, frame.type);
  }
});
