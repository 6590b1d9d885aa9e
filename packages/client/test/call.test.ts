import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Call, CallEvent, type CallState, type IceConfig } from '../src/index.js';
import { FakePeerConnection, FakeSignaling, fakeMedia, fakeWebRtc, type FakeCandidate } from './fake-webrtc.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const calls: Call[] = [];
afterEach(() => {
  for (const call of calls.splice(0)) call.close();
});

function makeCall(
  options: { polite: boolean; signaling: FakeSignaling; name?: string } & Partial<
    ConstructorParameters<typeof Call>[0]
  >,
) {
  const states: CallState[] = [];
  const errors: Array<[unknown, string]> = [];
  const call = new Call({
    webrtc: fakeWebRtc,
    localStream: fakeMedia(options.name ?? (options.polite ? 'polite' : 'impolite')),
    statsIntervalMs: 0,
    ...options,
  });
  call.on(CallEvent.State, (state) => states.push(state));
  call.on(CallEvent.Error, (error, step) => errors.push([error, step]));
  calls.push(call);
  return {
    call,
    pc: call.peerConnection as unknown as FakePeerConnection,
    states,
    errors,
    signaling: options.signaling,
  };
}

/** An initiator (impolite) and a polite peer joined by a signaling pair. */
function makePair(options: Partial<ConstructorParameters<typeof Call>[0]> = {}) {
  const [a, b] = FakeSignaling.pair();
  const impolite = makeCall({ ...options, polite: false, signaling: a, name: 'ada' });
  const polite = makeCall({ ...options, polite: true, signaling: b, name: 'bo' });
  return { impolite, polite };
}

test('the initiator offers at once, the polite side adds its tracks on the offer and answers: one exchange, media both ways', async () => {
  const { impolite, polite } = makePair();
  const remote = { impolite: [] as string[], polite: [] as string[] };
  impolite.call.on(CallEvent.Track, (track) => remote.impolite.push(track.id));
  polite.call.on(CallEvent.Track, (track) => remote.polite.push(track.id));

  await until('both connected', () => impolite.call.state === 'connected' && polite.call.state === 'connected');

  assert.deepEqual(
    impolite.signaling.descriptions().map((d) => d.type),
    ['offer'],
  );
  assert.deepEqual(
    polite.signaling.descriptions().map((d) => d.type),
    ['answer'],
  );
  // The polite side added nothing before the offer (so it never offered), then its tracks before answering.
  const log = polite.pc.log;
  assert.ok(log.indexOf('addTrack audio') > log.findIndex((l) => l.startsWith('done SRD offer')));
  assert.ok(log.indexOf('addTrack video') < log.indexOf('call SLD implicit'));
  assert.equal(log.filter((l) => l === 'negotiationneeded').length, 0);
  assert.deepEqual(remote.impolite.sort(), ['bo-audio', 'bo-video']);
  assert.deepEqual(remote.polite.sort(), ['ada-audio', 'ada-video']);
  assert.equal(impolite.call.remoteStream?.id, 'bo-stream');
  assert.equal(polite.call.remoteStream?.id, 'ada-stream');
  // Trickle: each side sent its candidates one frame each.
  assert.equal(impolite.signaling.sent.filter((d) => 'candidate' in d).length, 2);
  assert.equal(polite.signaling.sent.filter((d) => 'candidate' in d).length, 2);
  assert.deepEqual(impolite.states, ['connecting', 'connected']);
  assert.deepEqual([...impolite.errors, ...polite.errors], []);
});

test('glare: both sides offer at once; the impolite offer wins, the polite side rolls back, both end stable and connected', async () => {
  const { impolite, polite } = makePair();
  await until('both connected', () => impolite.call.state === 'connected' && polite.call.state === 'connected');
  const offersBefore = impolite.signaling.descriptions().length + polite.signaling.descriptions().length;

  // Both restart ICE in the same instant: two offers cross on the wire.
  impolite.call.restartIce();
  polite.call.restartIce();
  await until(
    'both offered and settled',
    () =>
      polite.pc.rollbacks > 0 &&
      impolite.pc.signalingState === 'stable' &&
      polite.pc.signalingState === 'stable' &&
      impolite.signaling.descriptions().length + polite.signaling.descriptions().length >= offersBefore + 3,
  );
  await sleep(30); // let anything still in flight land

  const impoliteOffers = impolite.signaling.descriptions().filter((d) => d.type === 'offer');
  const politeSent = polite.signaling.descriptions().slice(1);
  assert.deepEqual(
    politeSent.map((d) => d.type),
    ['offer', 'answer'],
    'the polite side offered, then answered',
  );
  assert.equal(impoliteOffers.length, 2, 'first offer, then the winning restart offer');
  assert.equal(impolite.pc.rollbacks, 0, 'the impolite side never rolls back');
  assert.equal(polite.pc.rollbacks, 1);
  // The impolite side's offer is what both agreed on.
  assert.equal(polite.pc.remoteDescription?.sdp, impoliteOffers[1]?.sdp);
  assert.equal(impolite.pc.remoteUfrag, polite.pc.localUfrag);
  assert.equal(impolite.pc.signalingState, 'stable');
  assert.equal(polite.pc.signalingState, 'stable');
  assert.equal(impolite.call.state, 'connected');
  assert.equal(polite.call.state, 'connected');
  // The ignored offer's candidates failed quietly on the impolite side: no error reached the app.
  assert.deepEqual([...impolite.errors, ...polite.errors], []);
});

test('glare at the very start: a polite side that adds a track early still ends in one agreed session', async () => {
  const [a, b] = FakeSignaling.pair();
  const polite = makeCall({ polite: true, signaling: b, name: 'bo', localStream: null });
  // Something outside the Call makes the polite side offer too (say, a data track added early).
  (polite.pc as FakePeerConnection).addTrack(fakeMedia('extra').getTracks()[1]!, fakeMedia('extra'));
  const impolite = makeCall({ polite: false, signaling: a, name: 'ada' });

  await until('both connected', () => impolite.call.state === 'connected' && polite.call.state === 'connected');
  await until('both stable', () => impolite.pc.signalingState === 'stable' && polite.pc.signalingState === 'stable');
  await sleep(30);
  assert.equal(polite.pc.rollbacks, 1, 'the polite offer was rolled back');
  assert.equal(impolite.pc.rollbacks, 0);
  assert.equal(polite.pc.signalingState, 'stable');
  assert.equal(impolite.pc.signalingState, 'stable');
  assert.equal(impolite.pc.remoteUfrag, polite.pc.localUfrag);
  assert.equal(polite.pc.remoteUfrag, impolite.pc.localUfrag);
});

test('remote signals are applied one at a time in order: candidates wait for a slow setRemoteDescription', async () => {
  const [, b] = FakeSignaling.pair();
  const polite = makeCall({ polite: true, signaling: b });
  polite.pc.srdDelayMs = 60;
  const offer = {
    type: 'offer',
    sdp: JSON.stringify({ pc: 99, ufrag: 'remote1', kinds: ['audio', 'video'], tracks: [] }),
  };
  b.inject({ description: offer });
  for (const n of [1, 2, 3])
    b.inject({ candidate: { candidate: `c${n}`, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'remote1' } });

  await until('three candidates applied', () => polite.pc.addedCandidates.length === 3);
  const log = polite.pc.log;
  const srdDone = log.findIndex((l) => l.startsWith('done SRD offer'));
  const firstCandidateCall = log.findIndex((l) => l.startsWith('call addIceCandidate'));
  assert.ok(
    srdDone >= 0 && firstCandidateCall > srdDone,
    `addIceCandidate called only after SRD finished: ${log.join(' | ')}`,
  );
  assert.deepEqual(
    polite.pc.addedCandidates.map((c) => c.candidate),
    ['c1', 'c2', 'c3'],
  );
  await until('answer sent', () => b.descriptions().length === 1);
  assert.equal(b.descriptions()[0]?.type, 'answer');
  assert.deepEqual(polite.errors, []);
});

test('a renegotiation with a slow setRemoteDescription: its candidates are applied only after it, not to the old description', async () => {
  const [, b] = FakeSignaling.pair();
  const polite = makeCall({ polite: true, signaling: b });
  const offer = (ufrag: string) => ({
    description: { type: 'offer', sdp: JSON.stringify({ pc: 99, ufrag, kinds: ['audio', 'video'], tracks: [] }) },
  });
  const candidate = (name: string, ufrag: string) => ({
    candidate: { candidate: name, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: ufrag },
  });
  b.inject(offer('first'));
  b.inject(candidate('f1', 'first'));
  await until(
    'first exchange done',
    () => polite.pc.signalingState === 'stable' && polite.pc.addedCandidates.length === 1,
  );

  // An ICE restart from the peer: the old remote description is still there while the new one is being set.
  polite.pc.srdDelayMs = 60;
  b.inject(offer('second'));
  for (const n of [1, 2, 3]) b.inject(candidate(`s${n}`, 'second'));
  await until('new candidates applied', () => polite.pc.addedCandidates.length === 4);
  const log = polite.pc.log;
  const srdDone = log.indexOf('done SRD offer second');
  const calls = log.flatMap((line, i) => (line.startsWith('call addIceCandidate s') ? [i] : []));
  assert.ok(
    srdDone >= 0 && calls.every((i) => i > srdDone),
    `candidates waited for their description: ${log.join(' | ')}`,
  );
  assert.deepEqual(
    polite.pc.addedCandidates.map((c) => c.candidate),
    ['f1', 's1', 's2', 's3'],
  );
  assert.deepEqual(polite.errors, []);
});

test('an offer arriving while the impolite side is still making its own (makingOffer) is ignored, not applied', async () => {
  const { impolite, polite } = makePair();
  await until('both connected', () => impolite.call.state === 'connected' && polite.call.state === 'connected');
  impolite.pc.sldDelayMs = 50;
  impolite.call.restartIce();
  await until('offer under way', () => impolite.pc.log.at(-1) === 'call SLD implicit');
  assert.equal(impolite.pc.signalingState, 'stable', 'still stable: only makingOffer tells the collision');
  impolite.signaling.inject({
    description: { type: 'offer', sdp: JSON.stringify({ pc: 98, ufrag: 'intruder', kinds: ['audio'], tracks: [] }) },
  });
  impolite.signaling.inject({
    candidate: { candidate: 'i1', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'intruder' },
  });
  await until(
    'restart settled',
    () => impolite.pc.signalingState === 'stable' && polite.pc.remoteUfrag === impolite.pc.localUfrag,
  );
  assert.equal(
    impolite.pc.log.filter((l) => l === 'call SRD offer').length,
    0,
    'the colliding offer was never applied',
  );
  assert.equal(impolite.pc.rollbacks, 0);
  assert.deepEqual([...impolite.errors, ...polite.errors], []);
});

test('candidates that arrive before any remote description are held, then applied in order after it', async () => {
  const [, b] = FakeSignaling.pair();
  const polite = makeCall({ polite: true, signaling: b });
  b.inject({ candidate: { candidate: 'early1', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'r1' } });
  b.inject({ candidate: { candidate: 'early2', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'r1' } });
  await sleep(20);
  assert.equal(
    polite.pc.log.filter((l) => l.startsWith('call addIceCandidate')).length,
    0,
    'nothing applied without a description',
  );

  b.inject({
    description: { type: 'offer', sdp: JSON.stringify({ pc: 99, ufrag: 'r1', kinds: ['audio'], tracks: [] }) },
  });
  await until('held candidates applied', () => polite.pc.addedCandidates.length === 2);
  assert.deepEqual(
    polite.pc.addedCandidates.map((c) => c.candidate),
    ['early1', 'early2'],
  );
  assert.deepEqual(polite.errors, []);
});

test('data that is not a description or a candidate is ignored', async () => {
  const [, b] = FakeSignaling.pair();
  const polite = makeCall({ polite: true, signaling: b });
  b.inject({ hello: 1 });
  b.inject({ sdp: { type: 'offer', sdp: 'v=0' } });
  b.inject('text');
  b.inject({ description: { type: 'nonsense', sdp: 'x' } });
  await sleep(10);
  assert.deepEqual(polite.pc.log, []);
  assert.deepEqual(polite.errors, []);
});

test("connectionState 'failed' restarts ICE: a new offer with fresh credentials, then connected again", async () => {
  const { impolite, polite } = makePair();
  await until('both connected', () => impolite.call.state === 'connected' && polite.call.state === 'connected');
  const ufragBefore = impolite.pc.localUfrag;

  impolite.pc.setConnectionState('failed');
  assert.equal(impolite.pc.restartIceCalls, 1);
  assert.equal(impolite.call.state, 'reconnecting');
  await until('connected again', () => impolite.call.state === 'connected');
  assert.notEqual(impolite.pc.localUfrag, ufragBefore, 'the offer carried fresh ICE credentials');
  assert.equal(polite.pc.remoteUfrag, impolite.pc.localUfrag);
  assert.deepEqual(impolite.states, ['connecting', 'connected', 'reconnecting', 'connected']);
  assert.deepEqual([...impolite.errors, ...polite.errors], []);
});

test("restarts that keep failing end in 'failed'; restartIce() from the app tries again", async () => {
  const { impolite } = makePair({ maxIceRestarts: 2 });
  await until('connected', () => impolite.call.state === 'connected');
  impolite.pc.setConnectionState('failed');
  impolite.pc.setConnectionState('failed');
  assert.equal(impolite.call.state, 'reconnecting');
  impolite.pc.setConnectionState('failed');
  assert.equal(impolite.call.state, 'failed');
  assert.equal(impolite.pc.restartIceCalls, 2);
  impolite.call.restartIce();
  assert.equal(impolite.call.state, 'reconnecting');
  assert.equal(impolite.pc.restartIceCalls, 3);
});

test("'disconnected' that lasts restarts ICE; one that heals quickly does not", async () => {
  const { impolite } = makePair({ disconnectedRestartMs: 40 });
  await until('connected', () => impolite.call.state === 'connected');

  impolite.pc.setConnectionState('disconnected');
  assert.equal(impolite.call.state, 'reconnecting');
  await sleep(10);
  impolite.pc.setConnectionState('connected');
  await sleep(60);
  assert.equal(impolite.pc.restartIceCalls, 0, 'healed by itself');

  impolite.pc.setConnectionState('disconnected');
  await sleep(60);
  assert.equal(impolite.pc.restartIceCalls, 1);
});

test('stats: RTT, bitrates from byte deltas, packet loss and the selected pair type', async () => {
  let now = 1_000_000;
  const [, b] = FakeSignaling.pair();
  const { call, pc } = makeCall({ polite: true, signaling: b, now: () => now });
  const report = (bytesReceived: number, bytesSent: number, lost: number, received: number) =>
    new Map<string, Record<string, unknown>>([
      ['T1', { type: 'transport', selectedCandidatePairId: 'P1' }],
      ['P1', { type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', currentRoundTripTime: 0.042 }],
      ['P2', { type: 'candidate-pair', localCandidateId: 'L2', remoteCandidateId: 'R1', currentRoundTripTime: 0.5 }],
      ['L1', { type: 'local-candidate', candidateType: 'relay' }],
      ['L2', { type: 'local-candidate', candidateType: 'host' }],
      ['R1', { type: 'remote-candidate', candidateType: 'srflx' }],
      [
        'IA',
        {
          type: 'inbound-rtp',
          kind: 'audio',
          bytesReceived: bytesReceived / 4,
          packetsLost: lost,
          packetsReceived: received,
        },
      ],
      [
        'IV',
        {
          type: 'inbound-rtp',
          kind: 'video',
          bytesReceived: (bytesReceived * 3) / 4,
          packetsLost: 0,
          packetsReceived: received,
        },
      ],
      ['OV', { type: 'outbound-rtp', kind: 'video', bytesSent }],
    ]);

  pc.statsReport = report(100_000, 50_000, 10, 495);
  const first = await call.getStats();
  assert.equal(first.rttMs, 42);
  assert.deepEqual(first.candidatePair, { local: 'relay', remote: 'srflx' });
  assert.equal(first.inboundBitrate, null, 'no rate without an interval');
  assert.equal(first.packetLoss, 10 / 1000, 'since the start');

  now += 2000;
  pc.statsReport = report(350_000, 150_000, 20, 985);
  const second = await call.getStats();
  assert.equal(second.inboundBitrate, ((350_000 - 100_000) * 8) / 2);
  assert.equal(second.outboundBitrate, ((150_000 - 50_000) * 8) / 2);
  assert.equal(second.packetLoss, 10 / (10 + 980), 'over the last interval');
});

test('stats are emitted every interval while the call is open, and stop with close()', async () => {
  const [, b] = FakeSignaling.pair();
  const { call } = makeCall({ polite: true, signaling: b, statsIntervalMs: 15 });
  let samples = 0;
  call.on(CallEvent.Stats, () => samples++);
  await sleep(70);
  assert.ok(samples >= 2, `got ${samples} samples`);
  call.close();
  const after = samples;
  await sleep(50);
  assert.equal(samples, after);
});

test('close() closes the peer connection, stops listening and reports closed', async () => {
  const { impolite, polite } = makePair();
  await until('connected', () => impolite.call.state === 'connected');
  impolite.call.close();
  assert.equal(impolite.call.state, 'closed');
  assert.equal(impolite.pc.connectionState, 'closed');
  const logLength = impolite.pc.log.length;
  polite.call.restartIce(); // a new offer reaches a closed call
  await sleep(30);
  assert.equal(impolite.pc.log.length, logLength, 'nothing applied after close');
  assert.deepEqual(impolite.states.at(-1), 'closed');
});

// ---- giving up, and STUN/TURN settings that expire ------------------------------

test("a call that does not connect within connectTimeoutMs is 'failed', without further restarts; a late connection still counts", async () => {
  const [a] = FakeSignaling.pair(); // nobody answers: the offer goes nowhere
  const { call, pc, states } = makeCall({ polite: false, signaling: a, connectTimeoutMs: 40 });
  await sleep(20);
  assert.equal(call.state, 'new');
  await until('failed', () => call.state === 'failed');
  // The browser giving up later does not turn "could not connect" back into "reconnecting".
  pc.setConnectionState('failed');
  assert.equal(call.state, 'failed');
  assert.equal(pc.restartIceCalls, 0);
  pc.setConnectionState('connected');
  assert.equal(call.state, 'connected');
  assert.deepEqual(states, ['failed', 'connected']);
});

test('a call that connects in time is not failed later by the connect timeout', async () => {
  const { impolite, polite } = makePair({ connectTimeoutMs: 60 });
  await until('both connected', () => impolite.call.state === 'connected' && polite.call.state === 'connected');
  await sleep(90);
  assert.equal(impolite.call.state, 'connected');
  assert.equal(polite.call.state, 'connected');
});

/** A provider answering like GET /api/ice, with a new credential each time. */
function iceProvider(ttl: number, options: { fail?: () => boolean } = {}) {
  const calls: number[] = [];
  const provider = async (): Promise<IceConfig> => {
    calls.push(calls.length + 1);
    if (options.fail?.()) throw new Error('offline');
    return {
      iceServers: [
        {
          urls: ['turn:turn.example:3478'],
          username: `expiry:${calls.length}`,
          credential: `credential-${calls.length}`,
        },
      ],
      // The process-wide default: a call keeps its room's policy whatever this says.
      iceTransportPolicy: 'all',
      ttl,
    };
  };
  return { provider, calls };
}

test("TURN credentials are refreshed before they expire (at most half their life) and applied to the peer connection, with the call's policy", async () => {
  const [, b] = FakeSignaling.pair();
  // 0.2 s left: refreshed after 0.1 s, then every 0.1 s (half of the 0.2 s each answer grants).
  const { provider, calls } = iceProvider(0.2);
  const { pc } = makeCall({
    polite: true,
    signaling: b,
    iceServersProvider: provider,
    iceExpiresAt: Date.now() + 200,
    iceTransportPolicy: 'relay',
  });
  await sleep(50);
  assert.equal(calls.length, 0, 'not yet due');
  await until('two refreshes', () => pc.configurations.length >= 2);
  assert.deepEqual(pc.configurations[0], {
    iceServers: [{ urls: ['turn:turn.example:3478'], username: 'expiry:1', credential: 'credential-1' }],
    iceTransportPolicy: 'relay',
  });
  assert.equal(pc.configurations[1]?.iceServers[0]?.credential, 'credential-2');
});

test('an ICE restart with credentials near expiry fetches fresh ones first (setConfiguration, then restartIce)', async () => {
  let now = 1_000_000;
  const { provider, calls } = iceProvider(3600);
  const { impolite, polite } = makePair({
    now: () => now,
    iceServersProvider: provider,
    iceExpiresAt: now + 3_600_000,
  });
  await until('both connected', () => impolite.call.state === 'connected' && polite.call.state === 'connected');

  // Far from expiry: a restart needs nothing new.
  impolite.pc.setConnectionState('failed');
  await until('connected again', () => impolite.call.state === 'connected');
  assert.deepEqual(calls, []);

  // Four minutes left (the refresh timer did not run: a device asleep): refreshed before the restart.
  now += 3_600_000 - 4 * 60_000;
  impolite.pc.setConnectionState('failed');
  await until('connected again', () => impolite.call.state === 'connected' && impolite.pc.restartIceCalls === 2);
  assert.equal(impolite.pc.configurations.length, 1);
  const log = impolite.pc.log;
  assert.ok(log.lastIndexOf('setConfiguration') < log.lastIndexOf('restartIce'), log.join('\n'));
  assert.equal(calls.length, 1, 'once, by the side that restarted');
});

test("a failed refresh is reported (step 'ice-servers') and the restart goes on with the old settings", async () => {
  let now = 1_000_000;
  const { provider } = iceProvider(3600, { fail: () => true });
  const { impolite } = makePair({ now: () => now, iceServersProvider: provider, iceExpiresAt: now + 3_600_000 });
  await until('connected', () => impolite.call.state === 'connected');
  now += 3_600_000;
  impolite.call.restartIce();
  await until('restarted', () => impolite.pc.restartIceCalls === 1);
  assert.equal(impolite.pc.configurations.length, 0);
  assert.deepEqual(
    impolite.errors.map(([error, step]) => [(error as Error).message, step]),
    [['offline', 'ice-servers']],
  );
});

// ---- which of our candidates the peer may see ----------------------------------

/** The candidate lines a side sent over signaling, in order. */
const sentCandidates = (signaling: FakeSignaling) =>
  signaling.sent.flatMap((d) => ('candidate' in d ? [d.candidate.candidate] : []));
const typeOf = (line: string) => / typ (\S+)/.exec(line)?.[1];

/** What a device on a home network finds: its LAN address, an mDNS name, its public address, and a TURN allocation. */
const EVERY_KIND: FakeCandidate[] = [
  { type: 'host', address: '192.168.1.20' },
  { type: 'host', address: '2001:db8::20' },
  { type: 'host', address: '4c1d9f2e-5b3a-4f0e-9d61-0a7c2b8e1f33.local' },
  { type: 'srflx', address: '198.51.100.7', relatedAddress: '192.168.1.20' },
  { type: 'relay', address: '203.0.113.9', relatedAddress: '198.51.100.7' },
];

test('under relay only relay candidates go to the peer, even from an implementation that gathers more; their related address is blanked', async () => {
  const { impolite, polite } = makePair({ iceTransportPolicy: 'relay' });
  for (const side of [impolite, polite]) {
    side.pc.gathers = EVERY_KIND;
    side.pc.ignoresPolicy = true;
  }
  await until('both connected', () => impolite.call.state === 'connected' && polite.call.state === 'connected');
  for (const side of [impolite, polite]) {
    assert.equal(side.pc.config.iceTransportPolicy, 'relay');
    const sent = sentCandidates(side.signaling);
    assert.deepEqual(sent.map(typeOf), ['relay'], sent.join('\n'));
    assert.ok(!sent.some((line) => /192\.168|198\.51|2001:db8|\.local/.test(line)), sent.join('\n'));
    assert.match(sent[0]!, / raddr 0\.0\.0\.0 rport 0 /);
  }
  // What the peer was given is what it applied: nothing else reached it.
  assert.deepEqual(
    polite.pc.addedCandidates.map((c) => typeOf(c.candidate)),
    ['relay'],
  );
});

test('an ICE restart under relay keeps the policy (fresh TURN credentials included) and sends relay candidates only', async () => {
  let now = 1_000_000;
  const { provider } = iceProvider(3600); // the process-wide default says `all`
  const { impolite, polite } = makePair({
    now: () => now,
    iceServersProvider: provider,
    iceExpiresAt: now + 3_600_000,
    iceTransportPolicy: 'relay',
  });
  for (const side of [impolite, polite]) {
    side.pc.gathers = EVERY_KIND;
    side.pc.ignoresPolicy = true;
  }
  await until('both connected', () => impolite.call.state === 'connected' && polite.call.state === 'connected');
  now += 3_600_000 - 60_000;
  impolite.pc.setConnectionState('failed');
  await until('connected again', () => impolite.call.state === 'connected' && impolite.pc.restartIceCalls === 1);
  assert.deepEqual(
    impolite.pc.configurations.map((c) => c.iceTransportPolicy),
    ['relay'],
  );
  await until('the restart gathered on both sides', () => sentCandidates(polite.signaling).length === 2);
  for (const side of [impolite, polite])
    assert.deepEqual(sentCandidates(side.signaling).map(typeOf), ['relay', 'relay']);
});

test('under all with dropRawHostCandidates (native), raw host addresses stay here; mDNS, reflexive and relay candidates go', async () => {
  const { impolite, polite } = makePair({ dropRawHostCandidates: true });
  for (const side of [impolite, polite]) side.pc.gathers = EVERY_KIND;
  await until('both connected', () => impolite.call.state === 'connected' && polite.call.state === 'connected');
  for (const side of [impolite, polite]) {
    assert.equal(side.pc.config.iceTransportPolicy, 'all');
    const sent = sentCandidates(side.signaling);
    assert.deepEqual(sent.map(typeOf), ['host', 'srflx', 'relay'], sent.join('\n'));
    assert.match(sent[0]!, /\.local /);
    // The reflexive candidate's related address would be the LAN address the filter withholds.
    assert.ok(!sent.some((line) => /192\.168|2001:db8/.test(line)), sent.join('\n'));
  }
});

test('under all without dropRawHostCandidates (browsers, which use mDNS), every candidate goes as gathered', async () => {
  const { impolite, polite } = makePair();
  for (const side of [impolite, polite]) side.pc.gathers = EVERY_KIND;
  await until('both connected', () => impolite.call.state === 'connected' && polite.call.state === 'connected');
  const sent = sentCandidates(impolite.signaling);
  assert.deepEqual(sent.map(typeOf), ['host', 'host', 'host', 'srflx', 'relay']);
  assert.match(sent[3]!, / raddr 192\.168\.1\.20 /);
});

const sdpPc = (pc: FakePeerConnection) =>
  pc.remoteDescription ? (JSON.parse(pc.remoteDescription.sdp) as { pc: number }).pc : null;

/**
 * One side of a connected pair comes back with a new Call (a page reloaded mid-call): the
 * staying side's connection still speaks to the gone one, and ICE-restart offers it sends
 * meanwhile reach the new page too.
 */
async function rejoinAs(side: 'polite' | 'impolite') {
  const { impolite, polite } = makePair();
  await until('both connected', () => impolite.call.state === 'connected' && polite.call.state === 'connected');
  const staying = side === 'polite' ? impolite : polite;
  const leaving = side === 'polite' ? polite : impolite;
  const oldPc = staying.pc;
  leaving.call.close();
  // The new page's signaling, wired to the staying side's.
  const fresh = new FakeSignaling();
  fresh.peer = staying.signaling;
  staying.signaling.peer = fresh;
  const back = makeCall({ polite: side === 'polite', signaling: fresh, name: 'back', rejoin: true });
  // The staying side's path to the gone page broke: it restarts ICE on its old connection, and
  // that offer reaches the new page, which must not answer it.
  staying.call.restartIce();
  return { staying, back, oldPc, fresh };
}

for (const side of ['polite', 'impolite'] as const) {
  test(`the ${side} side comes back with a new connection (rejoin): the peer starts afresh on reset, stale signals are ignored, media flows both ways`, async () => {
    const { staying, back, oldPc, fresh } = await rejoinAs(side);
    const remote: string[] = [];
    staying.call.on(CallEvent.RemoteStream, (stream) => remote.push(stream.id));
    await until(
      'both connected again',
      () =>
        staying.call.state === 'connected' && back.call.state === 'connected' && staying.call.peerConnection !== oldPc,
    );

    // reset goes first, before anything of the new connection.
    assert.ok('reset' in fresh.sent[0]!);
    assert.deepEqual(
      staying.signaling.sent.filter((d) => 'resetAck' in d),
      [{ resetAck: (fresh.sent[0] as { reset: string }).reset }],
    );
    assert.equal(oldPc.signalingState, 'closed');
    // Each side's remote description is the other's current connection: a new session, not the old one renegotiated.
    const newPc = staying.call.peerConnection as unknown as FakePeerConnection;
    assert.equal(sdpPc(newPc), back.pc.id);
    assert.equal(sdpPc(back.pc), newPc.id);
    assert.deepEqual(remote, ['back-stream']);
    assert.equal(back.call.remoteStream?.id, side === 'polite' ? 'ada-stream' : 'bo-stream');
    assert.deepEqual([...back.errors, ...staying.errors], []);
  });
}

test('reset and resetAck are parsed only with a short id; a resetAck that is not ours changes nothing', async () => {
  const [a, b] = FakeSignaling.pair();
  const rejoining = makeCall({ polite: true, signaling: b, rejoin: true });
  const id = (b.sent[0] as { reset: string }).reset;
  assert.match(id, /^[a-z0-9]+$/);
  b.inject({ resetAck: 'someone-else' });
  b.inject({
    description: { type: 'offer', sdp: JSON.stringify({ pc: 999, ufrag: 'x', kinds: ['audio'], tracks: [] }) },
  });
  b.inject({ reset: 'x'.repeat(65) });
  await sleep(10);
  // Still waiting for our ack: the offer was ignored, and the over-long reset was not one.
  assert.equal(rejoining.pc.remoteDescription, null);
  assert.deepEqual(
    b.sent.flatMap((d) => Object.keys(d)),
    ['reset'],
  );
  assert.equal(a.sent.length, 0);
  assert.equal(rejoining.call.peerConnection, rejoining.pc as unknown);
});
