import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { HEARTBEAT_SLICE } from '../src/signaling/server.js';
import {
  closeAndSettle,
  guest,
  openSocket,
  sleep,
  startServer,
  waitFor,
  waitingCounts,
  within,
  type Client,
  type TestServer,
} from './harness.js';

/** The server pings every HEARTBEAT_MS; a socket that misses two pongs is closed, and its grace starts. */

let server: TestServer;
before(async () => {
  // Pings every 100 ms so a silent client is found in a few hundred ms; a grace short enough to
  // wait out, long enough to come back within.
  server = await startServer({ HEARTBEAT_MS: '100', RESUME_GRACE_MS: '1000' });
});
after(() => server.close());

let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
});

/** A signed-in socket past its welcome; `autoPong: false` makes it ignore the server's pings. */
async function socketOf(displayName: string, autoPong = true) {
  const auth = await guest(server.url, displayName);
  const socket = await openSocket(server, { authorization: `Bearer ${auth.token}` }, { autoPong });
  opened.push(socket);
  assert.deepEqual(await socket.next(), { type: 'welcome', user: auth.user });
  return { auth, socket };
}

test('a client that answers pings stays connected across many heartbeats', async () => {
  const { socket } = await socketOf('Lively Liv');
  let pings = 0;
  socket.ws.on('ping', () => (pings += 1));
  await sleep(1000);
  assert.ok(pings >= 3, `the server pinged (${pings} pings seen)`);
  assert.equal(socket.closeCode, undefined, 'still open');
  socket.send({ type: 'cancel' });
  assert.deepEqual(await socket.next(), { type: 'cancelled' });
});

test('a client in a room that does not answer pings is closed; its peer (who answers) stays, and gets peer_left disconnected after the grace', async () => {
  const mute = await socketOf('Mute Mo', false);
  const lively = await socketOf('Lively Lu');
  mute.socket.send({ type: 'join', categories: ['music'] });
  await mute.socket.next('queued');
  lively.socket.send({ type: 'join', categories: ['music'] });
  const { roomId } = await lively.socket.next('matched');
  await mute.socket.next('matched');

  await within(mute.socket.closed, 3000, 'the silent socket to be closed');
  assert.deepEqual(await lively.socket.next(undefined, 3000), { type: 'peer_left', roomId, reason: 'disconnected' });
  assert.equal(lively.socket.closeCode, undefined, 'the answering peer is still connected');
});

test('a queued client that does not answer pings is closed and leaves the queue', async () => {
  const mute = await socketOf('Mute Mia', false);
  mute.socket.send({ type: 'join', categories: ['books'] });
  await mute.socket.next('queued');
  assert.equal((await waitingCounts(server)).books, 1);
  await within(mute.socket.closed, 3000, 'the silent socket to be closed');
  await waitFor('the queue to empty', async () => (await waitingCounts(server)).books === 0);
});

test('a silent client that comes back within the grace resumes its room', async () => {
  const mute = await socketOf('Mute Max', false);
  const lively = await socketOf('Lively Lea');
  mute.socket.send({ type: 'join', categories: ['tech'] });
  await mute.socket.next('queued');
  lively.socket.send({ type: 'join', categories: ['tech'] });
  await lively.socket.next('matched');
  const matched = await mute.socket.next('matched');
  await within(mute.socket.closed, 3000, 'the silent socket to be closed');
  // Back at once (well inside the 1 s grace), this time answering pings.
  const back = await openSocket(server, { authorization: `Bearer ${mute.auth.token}` });
  opened.push(back);
  assert.deepEqual(await back.next(), { type: 'welcome', user: mute.auth.user });
  assert.deepEqual(await back.next(), { ...matched, resumed: true });
  // Past the end of the grace, the peer has heard nothing: the return cancelled it.
  await lively.socket.nothingWithin(1300);
});

test('with more sockets than one slice of the heartbeat sweep, a silent socket in a later slice is closed and the answering ones stay', async () => {
  // Its own server: more sockets than one address may hold by default.
  const crowded = await startServer({ HEARTBEAT_MS: '100', MAX_SOCKETS_PER_ADDRESS: String(HEARTBEAT_SLICE * 2) });
  const lively: Client[] = [];
  try {
    const open = async (name: string, autoPong: boolean) => {
      const auth = await guest(crowded.url, name);
      const socket = await openSocket(crowded, { authorization: `Bearer ${auth.token}` }, { autoPong });
      await socket.next('welcome');
      return socket;
    };
    for (let batch = 0; batch < HEARTBEAT_SLICE + 20; batch += 50)
      lively.push(...(await Promise.all(Array.from({ length: 50 }, (_, i) => open(`Lively ${batch + i}`, true)))));
    // Swept in insertion order: opened last, it is in the sweep's second slice.
    const mute = await open('Mute Last', false);
    lively.push(mute);
    await within(mute.closed, 3000, 'the silent socket to be closed');
    await sleep(300); // three more sweeps
    assert.equal(
      lively.filter((s) => s !== mute && s.closeCode !== undefined).length,
      0,
      'every answering socket open',
    );
  } finally {
    await Promise.all(lively.map((c) => (c.closeCode === undefined ? c.close() : c.closed)));
    await crowded.close();
  }
});
