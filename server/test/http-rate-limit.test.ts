import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { ErrorBody } from '@small-talk/protocol';
import { api, startServer, type Json } from './harness.js';

/** POSTs JSON from a chosen loopback source address (Linux routes all of 127/8 to lo). */
function postFrom(localAddress: string, url: string, body: unknown): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const request = http.request(
      url,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

const newGuest = (base: string, headers: Record<string, string> = {}) =>
  api(base, 'POST', '/api/auth/guest', { body: { displayName: 'Limited' }, headers });

test('GUEST_RATE_LIMIT_PER_MIN=3: the 4th guest from one address is 429 rate_limited, whatever it forwards', async () => {
  const server = await startServer({ GUEST_RATE_LIMIT_PER_MIN: '3' });
  try {
    for (let i = 1; i <= 3; i += 1) assert.equal((await newGuest(server.url)).status, 201, `guest ${i}`);
    const fourth = await newGuest(server.url);
    assert.equal(fourth.status, 429);
    assert.equal(ErrorBody.parse(fourth.body).error.code, 'rate_limited');
    // The limit keys on the TCP source address: a forwarded header a client sets changes nothing.
    const forgeries: Array<Record<string, string>> = [
      { 'x-forwarded-for': '203.0.113.7' },
      { 'x-real-ip': '203.0.113.8' },
      { forwarded: 'for=203.0.113.9' },
    ];
    for (const headers of forgeries) {
      const forged = await newGuest(server.url, headers);
      assert.equal(forged.status, 429, `${JSON.stringify(headers)} evaded the limit`);
      assert.equal(forged.body.error.code, 'rate_limited');
    }
    // Another source address has its own allowance.
    const elsewhere = await postFrom('127.0.0.2', `${server.url}/api/auth/guest`, { displayName: 'Elsewhere' });
    assert.equal(elsewhere.status, 201, JSON.stringify(elsewhere.body));
  } finally {
    await server.close();
  }
});

test('AUTH_RATE_LIMIT_PER_MIN=2: the 3rd login attempt from one address is 429 rate_limited', async () => {
  const server = await startServer({ AUTH_RATE_LIMIT_PER_MIN: '2' });
  try {
    const attempt = () =>
      api(server.url, 'POST', '/api/auth/login', { body: { email: 'guess@example.com', password: 'guess number n' } });
    assert.equal((await attempt()).status, 401);
    assert.equal((await attempt()).status, 401);
    const third = await attempt();
    assert.equal(third.status, 429);
    assert.equal(ErrorBody.parse(third.body).error.code, 'rate_limited');
  } finally {
    await server.close();
  }
});

test('by default one address creates 1,000 guests in a minute, all 201', async () => {
  const server = await startServer();
  try {
    const total = 1000;
    const concurrency = 20;
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          next += 1;
          const { status } = await newGuest(server.url);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    assert.deepEqual([...statuses], [[201, total]]);
  } finally {
    await server.close();
  }
});
