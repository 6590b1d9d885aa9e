/**
 * Issue 11's attack: one socket, in a room with a partner that reads everything, sends the worst
 * frames the server allows (signals of 64 KiB nested 32 deep, which cost the most to parse;
 * frames one level too deep; large frames of a type that may not be large) as fast as its byte
 * budget lets it. Meanwhile another pair relays small signals and a client polls `/healthz`.
 * Each is measured without the attacker and with it, in alternating slices so that a neighbour's
 * burst of CPU falls on both alike. Used by `npm run bench -- --only attack` and by
 * server/test/ws-attack.test.ts, which holds the issue's bounds.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { MAX_FRAME_VALUES, scanFrame } from '../src/signaling/frame-scan.js';
import { STRUCTURE_BYTES } from '../src/signaling/rate-limit.js';

export interface Endpoint {
  url: string;
  wsUrl: string;
}

/** Issue 11's bounds. */
export const ATTACK_TARGETS = {
  /** /healthz p99 while attacked. */
  healthP99Ms: 50,
  /** The other pair's relay p99 while attacked, over the same without the attacker. */
  relayP99Ratio: 2,
};

/** The server's defaults (WS_BYTES_PER_S, WS_RATE_LIMIT), which the attacker stays just within. */
export const ATTACK_BUDGET = { bytesPerSecond: 256 * 1024, framesPerSecond: 50 };

export interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface AttackPhase {
  healthz: Latency;
  relay: Latency;
}

export interface AttackFigures {
  baseline: AttackPhase;
  attacked: AttackPhase;
  /** Attacked over baseline. */
  healthP99Ratio: number;
  relayP99Ratio: number;
  /** Lines the server printed (set by the bench, which reads its output). */
  logLines?: number;
  attacker: {
    framesSent: number;
    bytesSent: number;
    /** `error` frames it got back, by code. */
    errors: Record<string, number>;
    /** Bytes the partner received: the large signals were relayed. */
    partnerBytes: number;
    /** Set when the server closed the attacker's socket (it should not: it stays within its budget). */
    closeCode?: number;
  };
}

const MAX_FRAME_BYTES = 64 * 1024;

/**
 * A `signal` of exactly MAX_FRAME_BYTES, as costly to parse as the server lets in: as many chains
 * of arrays, 32 levels deep in all, as MAX_FRAME_VALUES allows, then a string to the byte limit.
 */
export function worstSignal(roomId: string): string {
  const head = `{"type":"signal","roomId":"${roomId}","data":[`;
  // The frame is level 1 and data's array level 2: each chain adds 30 more, and 31 values with its comma.
  const chain = '['.repeat(30) + ']'.repeat(30);
  const chains = Math.floor((MAX_FRAME_VALUES - 16) / 31);
  const frame = head + Array.from({ length: chains }, () => chain).join(',') + ',"';
  return frame + 'x'.repeat(MAX_FRAME_BYTES - frame.length - 3) + '"]}';
}

/** A `signal` one level deeper than allowed. */
export function tooDeep(roomId: string): string {
  return `{"type":"signal","roomId":"${roomId}","data":${'['.repeat(32)}${']'.repeat(32)}}`;
}

/** A `join` of MAX_FRAME_BYTES: refused for its size after the scan, never parsed. */
export function largeJoin(): string {
  const head = '{"type":"join","categories":["music"],"pad":"';
  return `${head}${'x'.repeat(MAX_FRAME_BYTES - head.length - 2)}"}`;
}

interface Person {
  ws: WebSocket;
  userId: string;
}

async function person(endpoint: Endpoint, displayName: string): Promise<Person> {
  const response = await fetch(`${endpoint.url}/api/auth/guest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ displayName }),
  });
  if (response.status !== 201) throw new Error(`guest failed: ${response.status} ${await response.text()}`);
  const { token, user } = (await response.json()) as { token: string; user: { id: string } };
  // Everyone accepts the rules before joining, as the app's first-run screen makes them do.
  const { version } = (await (await fetch(`${endpoint.url}/api/rules`)).json()) as { version: number };
  const consent = await fetch(`${endpoint.url}/api/me/consent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ birthDate: '1980-06-15', rulesVersion: version }),
  });
  if (consent.status !== 200) throw new Error(`consent failed: ${consent.status} ${await consent.text()}`);
  const ws = new WebSocket(endpoint.wsUrl, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  await nextFrame(ws, 'welcome');
  return { ws, userId: user.id };
}

function nextFrame(ws: WebSocket, type: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error(`no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      if (frame.type !== type) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(frame);
    };
    ws.on('message', onMessage);
  });
}

/** Two people matched into a room in `category`; resolves with the room id. */
async function room(a: Person, b: Person, category: string): Promise<string> {
  const matchedA = nextFrame(a.ws, 'matched');
  const matchedB = nextFrame(b.ws, 'matched');
  a.ws.send(JSON.stringify({ type: 'join', categories: [category] }));
  await nextFrame(a.ws, 'queued');
  b.ws.send(JSON.stringify({ type: 'join', categories: [category] }));
  const [frame] = await Promise.all([matchedA, matchedB]);
  return frame.roomId as string;
}

function summarise(samples: number[]): Latency {
  const sorted = [...samples].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN };
}

/**
 * The victim pair, the attacker and its partner, on the endpoints given (the same for one
 * process; different ones to spread them over a cluster). `sliceMs` × `slices` of each phase.
 */
export async function measureAttack(options: {
  victims: [Endpoint, Endpoint];
  attackers: [Endpoint, Endpoint];
  health: Endpoint;
  sliceMs: number;
  slices: number;
  /** Victim frames per second, each way (under the 50/s a socket may send). */
  victimRate?: number;
}): Promise<AttackFigures> {
  const victimRate = options.victimRate ?? 40;
  const [va, vb] = await Promise.all([person(options.victims[0], 'Victim A'), person(options.victims[1], 'Victim B')]);
  const victimRoom = await room(va, vb, 'music');
  const [attacker, partner] = await Promise.all([
    person(options.attackers[0], 'Attacker'),
    person(options.attackers[1], 'Partner'),
  ]);
  const attackRoom = await room(attacker, partner, 'books');
  const people = [va, vb, attacker, partner];

  const figures: AttackFigures['attacker'] = { framesSent: 0, bytesSent: 0, errors: {}, partnerBytes: 0 };
  attacker.ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { type: string; code?: string };
    if (frame.type === 'error') figures.errors[frame.code!] = (figures.errors[frame.code!] ?? 0) + 1;
  });
  attacker.ws.on('close', (code) => (figures.closeCode = code));
  // The partner reads and never parses: what it costs to receive is the server's, not ours.
  partner.ws.on('message', (data: Buffer) => (figures.partnerBytes += data.length));

  const relay = { baseline: [] as number[], attacked: [] as number[] };
  const healthz = { baseline: [] as number[], attacked: [] as number[] };
  let phase: 'baseline' | 'attacked' = 'baseline';
  let measuring = false;
  for (const receiver of [va, vb]) {
    receiver.ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; data?: { sentAt?: number } };
      if (measuring && frame.type === 'signal' && typeof frame.data?.sentAt === 'number')
        relay[phase].push(performance.now() - frame.data.sentAt);
    });
  }

  const signal = worstSignal(attackRoom);
  const deep = tooDeep(attackRoom);
  const join = largeJoin();

  async function victimsTalk(until: number): Promise<void> {
    // Alternating sides at twice the rate: each side sends `victimRate` a second.
    const gapMs = 1000 / (2 * victimRate);
    for (let seq = 0; performance.now() < until; seq++) {
      const sender = seq % 2 === 0 ? va : vb;
      // An ICE candidate's size, with the send time to measure by.
      const data = {
        candidate:
          'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0',
        sdpMid: '0',
        sentAt: performance.now(),
      };
      sender.ws.send(JSON.stringify({ type: 'signal', roomId: victimRoom, data }));
      await sleep(gapMs);
    }
  }

  async function pollHealth(until: number): Promise<void> {
    while (performance.now() < until) {
      const started = performance.now();
      const response = await fetch(`${options.health.url}/healthz`);
      await response.arrayBuffer();
      healthz[phase].push(performance.now() - started);
      await sleep(20);
    }
  }

  /** What the server charges a frame: its bytes, and its structure once it is scanned (none for a frame refused as too deep). */
  const costOf = (frame: string) => frame.length + (scanFrame(frame)?.structure ?? 0) * STRUCTURE_BYTES;
  const cost = new Map([signal, deep, join].map((frame) => [frame, costOf(frame)]));

  // The attacker's copy of the server's buckets, a little slower so it never drops. It lives
  // across slices as the server's does: what a slice spent is still owed in the next.
  const bytesPerMs = (ATTACK_BUDGET.bytesPerSecond * 0.97) / 1000;
  const framesPerMs = (ATTACK_BUDGET.framesPerSecond * 0.8) / 1000;
  let bytes = 2 * ATTACK_BUDGET.bytesPerSecond * 0.97;
  let frames = 2 * ATTACK_BUDGET.framesPerSecond * 0.8;
  let last = performance.now();

  /** Sends at the budget, as much as the buckets above allow. */
  async function attack(until: number): Promise<void> {
    // Each slice: a join the size check refuses, then frames one level too deep with the frame
    // rate's room, then the costliest signal, which takes more than what is left of the burst
    // (its structure counted), so nothing large fits again within the slice.
    let joinSent = false;
    while (performance.now() < until && figures.closeCode === undefined) {
      const now = performance.now();
      bytes = Math.min(2 * ATTACK_BUDGET.bytesPerSecond * 0.97, bytes + (now - last) * bytesPerMs);
      frames = Math.min(2 * ATTACK_BUDGET.framesPerSecond * 0.8, frames + (now - last) * framesPerMs);
      last = now;
      for (;;) {
        // The server lets a frame in when its bytes fit, and charges its structure after.
        let frame: string | null = null;
        if (frames >= 1) {
          if (!joinSent) frame = bytes >= join.length ? join : null;
          else if (frames >= 2 && bytes >= deep.length + signal.length) frame = deep;
          else if (bytes >= signal.length) frame = signal;
        }
        if (frame === null) break;
        attacker.ws.send(frame);
        bytes -= cost.get(frame)!;
        frames -= 1;
        if (frame === join) joinSent = true;
        figures.framesSent += 1;
        figures.bytesSent += frame.length;
      }
      await sleep(10);
    }
  }

  try {
    // Warm up both paths (JIT, connection pools) before anything counts.
    await Promise.all([victimsTalk(performance.now() + 500), pollHealth(performance.now() + 500)]);
    measuring = true;
    for (let slice = 0; slice < options.slices; slice++) {
      for (const next of ['baseline', 'attacked'] as const) {
        phase = next;
        const until = performance.now() + options.sliceMs;
        await Promise.all([
          victimsTalk(until),
          pollHealth(until),
          next === 'attacked' ? attack(until) : Promise.resolve(),
        ]);
        // Frames still in flight belong to this phase.
        await sleep(200);
      }
    }
    measuring = false;
  } finally {
    // Our own terminate is no close by the server.
    attacker.ws.removeAllListeners('close');
    for (const p of people) p.ws.terminate();
  }
  const baseline = { healthz: summarise(healthz.baseline), relay: summarise(relay.baseline) };
  const attacked = { healthz: summarise(healthz.attacked), relay: summarise(relay.attacked) };
  return {
    baseline,
    attacked,
    healthP99Ratio: attacked.healthz.p99 / baseline.healthz.p99,
    relayP99Ratio: attacked.relay.p99 / baseline.relay.p99,
    attacker: figures,
  };
}
