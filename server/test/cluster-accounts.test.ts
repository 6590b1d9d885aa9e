import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { AuthResponse, CloseCode, MeResponse } from '@small-talk/protocol';
import { useCluster } from './cluster.js';
import { api, connect, member, refusedUpgrade, within } from './harness.js';
import { codeIn, resetTokenIn, startSmtp, type SmtpReceiver } from './smtp.js';

/**
 * Accounts on two processes sharing one Redis and one PostgreSQL: a password reset on process 0
 * ends the sessions everywhere and closes the user's socket on process 1 at once (4001); codes
 * and limits are in the database, so any process checks what another sent.
 */
let smtp: SmtpReceiver;
const { skip, nodes } = useCluster(2, async () => {
  smtp = await startSmtp();
  return { SMTP_URL: smtp.url, AUTH_RATE_LIMIT_PER_MIN: '100000' };
});
after(async () => {
  await smtp?.close();
});

describe('accounts across two processes', { skip }, () => {
  test('a reset on process 0 closes the socket on process 1 with 4001 within a second; every old session is 401 on both; the new one works on both', async () => {
    const [zero, one] = [nodes[0]!, nodes[1]!];
    const m = await member(zero.url, { displayName: 'Cleo' });
    await smtp.next(m.email);
    const onOne = AuthResponse.parse(
      (await api(one.url, 'POST', '/api/auth/login', { body: { email: m.email, password: m.password } })).body,
    );
    const socket = await connect(one, onOne.token);
    await socket.next('welcome');

    assert.equal(
      (await api(one.url, 'POST', '/api/auth/password/reset-start', { body: { email: m.email } })).status,
      202,
    );
    const token = resetTokenIn(await smtp.next(m.email));
    const started = Date.now();
    const done = await api(zero.url, 'POST', '/api/auth/password/reset', {
      body: { token, password: 'a brand new password' },
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(await within(socket.closed, 1000, 'the socket on process 1 to close'), CloseCode.loggedOut);
    assert.ok(Date.now() - started < 1500);

    for (const node of [zero, one]) {
      for (const old of [m.token, onOne.token]) {
        assert.equal((await api(node.url, 'GET', '/api/me', { token: old })).status, 401);
        assert.equal(await refusedUpgrade(node, { authorization: `Bearer ${old}` }), 401);
      }
    }
    const fresh = AuthResponse.parse(done.body).token;
    for (const node of [zero, one])
      assert.equal(
        MeResponse.parse((await api(node.url, 'GET', '/api/me', { token: fresh })).body).user.emailVerified,
        true,
      );
    const again = await connect(one, fresh);
    await again.next('welcome');
    await again.nothingWithin(300);
    assert.equal(again.closeCode, undefined, 'the new session keeps its socket');
    await again.close();
    // The link was spent on process 0: process 1 refuses it too.
    assert.equal(
      (await api(one.url, 'POST', '/api/auth/password/reset', { body: { token, password: 'another new password' } }))
        .status,
      400,
    );
  });

  test('a code mailed by process 0 verifies on process 1; wrong tries count on both; the daily limit spans both', async () => {
    const [zero, one] = [nodes[0]!, nodes[1]!];
    const m = await member(zero.url);
    const code = codeIn(await smtp.next(m.email));
    const wrong = code.slice(0, 5) + String((Number(code[5]) + 1) % 10);
    for (const node of [zero, one, zero, one])
      assert.equal(
        (await api(node.url, 'POST', '/api/auth/email/verify', { token: m.token, body: { code: wrong } })).status,
        400,
      );
    assert.equal(
      (await api(one.url, 'POST', '/api/auth/email/verify', { token: m.token, body: { code } })).status,
      200,
    );

    const n = await member(one.url);
    await smtp.next(n.email);
    for (const node of [zero, one, zero, one]) {
      assert.equal((await api(node.url, 'POST', '/api/auth/email/verify-start', { token: n.token })).status, 202);
      await smtp.next(n.email);
    }
    assert.equal((await api(zero.url, 'POST', '/api/auth/email/verify-start', { token: n.token })).status, 429);
  });
});
