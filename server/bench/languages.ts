/**
 * Issue 15's figure: does matching that fits stay fast? On one server process or the 2-process
 * cluster, three sets of 2,000 users are matched as in (a), one after another:
 *
 * - plain: nobody named a language or said anyone (the (a) of this run), matched first and, with
 *   2,000 others, again last: the baseline is the mean of the two;
 * - languages: each user speaks 1–2 of 5 languages, and half of them join with `anyone:true`.
 *
 * The servers run with FALLBACK_AFTER_MS=50: the figure is the cost of matching (lists per
 * language, the widening step and its store call), not the ten seconds a user would wait; 50 ms
 * rather than 0 keeps the timer path real. "Everyone who can be matched": a set ends when nothing
 * more can happen, i.e. every user is matched (and its peer told), or queued and either without
 * `anyone` or widened, and GET /api/stats agrees on how many wait; then the users left are checked: no two of them could have met (a shared
 * language and category, or both widened). Reported: the time
 * to the last `matched`, its ratio to plain (target ≤ 1.5×), pairs matched without a common
 * language (target 0), double matches, and missed matches.
 *
 *   npm run bench -- --only languages
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { AuthResponse, LanguageCode, ServerMessage } from '@small-talk/protocol';
import { categoryOf, inPool, SOURCE_ADDRESSES } from './load.js';
import type { Target } from './proc.js';

export const LANGUAGES_TARGETS = { msRatio: 1.5 };
export const LANGUAGES_USERS = 2000;
const LANGUAGES: LanguageCode[] = ['en', 'es', 'fr', 'de', 'pt'];
const MATCH_TIMEOUT_MS = 60_000;
const SETTLE_MS = 2000;
const CONCURRENCY = 64;

/** Three sets of sockets stay open at once: 6,000 over 20 source addresses. */
export const LANGUAGES_SERVER_ENV = { FALLBACK_AFTER_MS: '50', MAX_SOCKETS_PER_ADDRESS: '1000' };
export const LANGUAGES_LOAD = `${LANGUAGES_USERS.toLocaleString('en-US')} users matched plain, then speaking 1–2 of ${LANGUAGES.length} languages with half saying anyone`;

interface Person {
  index: number;
  node: number;
  category: string;
  languages: LanguageCode[];
  anyone: boolean;
  token: string;
  id: string;
  ws: WebSocket | null;
  matches: number;
  peerId: string;
  roomCategory: string | null;
  widened: boolean;
  queued: boolean;
  /** Nothing more can happen to it: matched, or queued and (without anyone, or widened). */
  settled: boolean;
  /** Set while its `cancel` is on its way. */
  cancelled?: () => void;
}

export interface LanguagesRun {
  users: number;
  matched: number;
  /** From the first join sent to the last `matched`. */
  lastMs: number;
  widenedMatches: number;
  /** Pairs matched who share no language (neither named none). */
  incompatible: number;
  /** Users with more than one `matched`, or whose peer does not name them back. */
  outOfContract: number;
  /** Pairs left waiting who could have met. */
  missed: number;
}

export interface LanguagesFigures {
  plain: LanguagesRun;
  languages: LanguagesRun;
  plainAfter: LanguagesRun;
  ratio: number;
}

/** A seeded generator: every run draws the same languages. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function post<T>(port: number, path: string, body: unknown, token?: string, method = 'POST'): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    } catch (error) {
      // A kept-alive connection the server closed just as it was reused: send again on a new one.
      if (attempt < 3) continue;
      throw error;
    }
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
}

function people(target: Target, count: number, withLanguages: boolean, seed: number): Person[] {
  const draw = random(seed);
  return Array.from({ length: count }, (_, index) => {
    const languages: LanguageCode[] = [];
    if (withLanguages) {
      languages.push(LANGUAGES[Math.floor(draw() * LANGUAGES.length)]!);
      if (draw() < 0.5) {
        const second = LANGUAGES[Math.floor(draw() * LANGUAGES.length)]!;
        if (second !== languages[0]) languages.push(second);
      }
    }
    return {
      index,
      node: target.nodeOf(index),
      category: categoryOf(index, count),
      languages,
      anyone: withLanguages && index % 2 === 0,
      token: '',
      id: '',
      ws: null,
      matches: 0,
      peerId: '',
      roomCategory: null,
      widened: false,
      queued: false,
      settled: false,
    };
  });
}

async function prepare(target: Target, set: Person[]): Promise<void> {
  const port = target.ports[0]!;
  const { version } = (await (await fetch(`http://127.0.0.1:${port}/api/rules`)).json()) as { version: number };
  await inPool(set, CONCURRENCY, async (p) => {
    const port = target.ports[p.node]!;
    const signedIn = await post<AuthResponse>(port, '/api/auth/guest', { displayName: `lang ${p.index}` });
    p.token = signedIn.token;
    p.id = signedIn.user.id;
    await post(port, '/api/me/consent', { birthDate: '1980-06-15', rulesVersion: version }, p.token);
    if (p.languages.length > 0) await post(port, '/api/me', { languages: p.languages }, p.token, 'PATCH');
  });
  await inPool(set, CONCURRENCY, (p) => open(target, p));
}

function open(target: Target, p: Person): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${target.ports[p.node]}/ws`, {
      localAddress: SOURCE_ADDRESSES[p.index % SOURCE_ADDRESSES.length],
      headers: { authorization: `Bearer ${p.token}` },
      perMessageDeflate: false,
    });
    p.ws = ws;
    ws.once('message', () => resolve()); // welcome
    ws.on('error', reject);
    ws.on('unexpected-response', (_request, response) =>
      reject(new Error(`socket refused: HTTP ${response.statusCode}`)),
    );
  });
}

const compatible = (a: readonly string[], b: readonly string[]) =>
  a.length === 0 || b.length === 0 || a.some((code) => b.includes(code));

async function run(target: Target, set: Person[]): Promise<LanguagesRun> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  let lastMatchedAt = 0;
  let matched = 0;
  let settled = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const byId = new Map(set.map((p) => [p.id, p]));
  const settle = (p: Person) => {
    if (!p.settled) {
      p.settled = true;
      settled += 1;
    }
  };
  // Every join answered and every wait run out is not enough: a joiner's `matched` follows its
  // `queued` after the room's history row is written. The store's own count says when every
  // match has been told: those waiting are exactly those without `matched`, every pair complete.
  const watch = setInterval(() => {
    if (settled < set.length || performance.now() - lastMatchedAt < 600) return;
    if (!set.every((x) => x.matches === 0 || byId.get(x.peerId)?.matches)) return;
    void fetch(`http://127.0.0.1:${target.ports[0]}/api/stats`)
      .then((response) => response.json() as Promise<{ waiting: number }>)
      .then((stats) => {
        if (stats.waiting === set.length - matched) done();
      })
      .catch(() => {});
  }, 100);
  for (const p of set) {
    p.ws!.on('message', (data) => {
      const event = JSON.parse(data.toString()) as ServerMessage;
      if (event.type === 'matched') {
        p.matches += 1;
        p.peerId = event.peer.id;
        p.roomCategory = event.category;
        lastMatchedAt = performance.now();
        matched += 1;
        settle(p);
      } else if (event.type === 'queued') {
        p.queued = true;
        if (!p.anyone) settle(p);
      } else if (event.type === 'widened') {
        p.widened = true;
        settle(p);
      } else if (event.type === 'cancelled') p.cancelled?.();
    });
  }
  const start = performance.now();
  for (const p of set)
    p.ws!.send(
      JSON.stringify(
        p.anyone
          ? { type: 'join', categories: [p.category], anyone: true }
          : { type: 'join', categories: [p.category] },
      ),
    );
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, MATCH_TIMEOUT_MS))]);
  clearInterval(watch);

  let incompatible = 0;
  let outOfContract = 0;
  let widenedMatches = 0;
  for (const p of set) {
    if (p.matches === 0) continue;
    const peer = byId.get(p.peerId);
    if (p.matches > 1 || !peer || peer.peerId !== p.id) outOfContract += 1;
    if (peer && p.id < peer.id) {
      if (!compatible(p.languages, peer.languages)) incompatible += 1;
      if (p.roomCategory === null) widenedMatches += 1;
    }
  }
  const left = set.filter((p) => p.matches === 0);
  let missed = 0;
  for (const [i, a] of left.entries()) {
    for (const b of left.slice(i + 1)) {
      if (compatible(a.languages, b.languages) && (a.category === b.category || (a.anyone && b.anyone))) missed += 1;
    }
  }
  // Those left waiting leave the queue, or the next set would meet them.
  await Promise.all(
    left.map(
      (p) =>
        new Promise<void>((resolve) => {
          p.cancelled = resolve;
          p.ws!.send('{"type":"cancel"}');
        }),
    ),
  );
  return {
    users: set.length,
    matched,
    lastMs: lastMatchedAt - start,
    widenedMatches,
    incompatible,
    outOfContract,
    missed,
  };
}

export async function benchLanguages(
  target: Target,
  say: (line: string) => void,
  users = LANGUAGES_USERS,
): Promise<LanguagesFigures> {
  const tag = target.name.padEnd(7);
  const sets = {
    plain: people(target, users, false, 1),
    languages: people(target, users, true, 15),
    plainAfter: people(target, users, false, 2),
  };
  try {
    for (const set of Object.values(sets)) await prepare(target, set);
    const plain = await run(target, sets.plain);
    const languages = await run(target, sets.languages);
    const plainAfter = await run(target, sets.plainAfter);
    const ratio = languages.lastMs / ((plain.lastMs + plainAfter.lastMs) / 2);
    for (const [name, r] of [
      ['plain', plain],
      ['languages', languages],
      ['plain', plainAfter],
    ] as const) {
      const against =
        name === 'languages' ? ` = ${ratio.toFixed(2)}× plain (target ≤ ${LANGUAGES_TARGETS.msRatio}×)` : '';
      say(
        `${tag} (l) ${name.padEnd(9)} ${r.matched}/${r.users} matched in ${r.lastMs.toFixed(0)} ms${against}; ${r.widenedMatches} widened pairs, ` +
          `incompatible pairs ${r.incompatible}, out of contract ${r.outOfContract}, left waiting ${r.users - r.matched} (missed matches: ${r.missed})`,
      );
    }
    return { plain, languages, plainAfter, ratio };
  } finally {
    for (const set of Object.values(sets)) for (const p of set) p.ws?.terminate();
  }
}
