/**
 * `npm run bench`: the server as one process, the server as a cluster (2 processes on one Redis,
 * users split between them), the original's design as a model (group: 2 processes that send every
 * frame through a per-room Redis channel, group-relay.ts), and a bare relay (the floor), driven by
 * the same load, one at a time; then 3,000 users joining at once over 3 processes; then friends
 * (direct calls, presence, and what friends cost matching) on a fresh server and a fresh cluster
 * (friends.ts); then real calls in headless Chromium, direct and through coturn (call.ts). Prints
 * each figure, its ratio to the floor and the issues' targets (3 to 7), our cluster beside the
 * group model, and writes it all to .tmp/bench-latest.json.
 *
 *   npm run bench -- [--users 2000] [--steady-s 20] [--step-s 3] [--shape burst|paced] [--only server,cluster,group,floor,friends,safety,languages,accounts,attack,capacity,chaos,call,web]
 *                    [--match-users 3000] [--calls 10] [--soak-min 20] [--node-flags="--cpu-prof --cpu-prof-dir=/tmp/prof"]
 *
 * The flags shorten a run while working on the bench, or profile the relays; the defaults are
 * the issues' load. `--shape` is how (b) and (c) spread their frames (load.ts LoadShape): `burst`,
 * the default and the harder, has every socket send in the same instant once per period.
 * `--server-main path/to/main.js` starts another build of the server (an older commit's), to
 * compare. `--match-users 0` skips the 3,000-user phase; `--only call` runs the browser calls alone,
 * `--only friends` the friends phase (server and cluster), `--only languages` issue 15's matching
 * with languages and `anyone` (languages.ts, server and cluster), `--only accounts` whether a
 * password reset's answer time tells a member's address from an unknown one (accounts.ts).
 * `--only chaos`: issue 18's 3 minutes of SIGKILLs under 600 users on 3 processes (chaos.ts).
 * `--only shield` times issue 14's shield in the browser (shield.ts), per model; it is not in the
 * default set (two models × `--calls` calls take 4–9 minutes on top of the rest). `--only web`:
 * issue 16's first screen of the web app, its size and time to interactive (web.ts); `--web-dir`
 * times another build instead (an older commit's `expo export` + pwa-assets.mjs), to compare.
 * `--only capacity`: issue 18's sockets per process, RSS per socket, /healthz and matching while
 * they are connected, then 10,000 users over 3 processes (capacity.ts); `--capacity-sockets`
 * and `--capacity-cluster-users` (0: none) ask for fewer while working on it.
 * `--only soak`: issue 18's soak (soak.ts), 400 users churning through two processes on Redis and
 * PostgreSQL and 100 through one on SQLite for `--soak-min` minutes (20 by default); not in the
 * default set, because it alone takes longer than everything else together.
 * The group model runs (a), (b) and (d), not the ramp: issue 5 asks how its relay compares with
 * ours at the same load, and what each costs Redis, not how far a model of another design goes.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ACCOUNTS_LOAD, ACCOUNTS_SERVER_ENV, benchAccounts, type AccountsFigures } from './accounts.js';
import { measureAttack, type AttackFigures } from './attack.js';
import { benchCalls, type CallFigures } from './call.js';
import { benchCapacity, CAPACITY_CLUSTER_USERS, CAPACITY_SOCKETS, type CapacityFigures } from './capacity.js';
import { benchChaos, CHAOS_LOAD } from './chaos.js';
import { benchFriends, FRIENDS_LOAD, FRIENDS_SERVER_ENV, type FriendsFigures } from './friends.js';
import { benchLanguages, LANGUAGES_LOAD, LANGUAGES_SERVER_ENV, type LanguagesFigures } from './languages.js';
import { CATEGORIES, FRAME_BYTES, type LoadShape, SOURCE_ADDRESSES } from './load.js';
import { ms, say, seconds } from './print.js';
import {
  haveRedis,
  startCluster,
  startFloor,
  startGroupModel,
  startServer,
  useServerBuild,
  type Target,
} from './proc.js';
import { benchRelays, matchOverThree, type Figures, type Name } from './relay.js';
import { printAndSave, type FriendsResults } from './report.js';
import { benchSafety, SAFETY_LOAD, SAFETY_SERVER_ENV, type SafetyFigures } from './safety.js';
import { benchShield, type ShieldFigures } from './shield.js';
import { benchSoak, SOAK_USERS, type SoakFigures } from './soak.js';
import { benchWeb, WEB_LOADS, type WebFigures } from './web.js';

const root = path.resolve(import.meta.dirname, '../..');

const { values: flags } = parseArgs({
  options: {
    users: { type: 'string', default: '2000' },
    'steady-s': { type: 'string', default: '20' },
    'step-s': { type: 'string', default: '3' },
    only: {
      type: 'string',
      default: 'server,cluster,group,floor,friends,safety,languages,accounts,attack,capacity,chaos,call,web',
    },
    'match-users': { type: 'string', default: '3000' },
    calls: { type: 'string', default: '10' },
    'node-flags': { type: 'string', default: '' },
    shape: { type: 'string', default: 'burst' },
    'server-main': { type: 'string', default: '' },
    'web-dir': { type: 'string', default: '' },
    'capacity-sockets': { type: 'string', default: String(CAPACITY_SOCKETS) },
    'capacity-cluster-users': { type: 'string', default: String(CAPACITY_CLUSTER_USERS) },
    'soak-min': { type: 'string', default: '20' },
  },
});
const NODE_FLAGS = flags['node-flags'].split(' ').filter(Boolean);
const USERS = Number(flags.users);
// Everyone must find a partner: an even number of users in every category.
if (!Number.isInteger(USERS) || USERS <= 0 || USERS % (2 * CATEGORIES.length) !== 0) {
  throw new Error(`--users must be a positive multiple of ${2 * CATEGORIES.length}, got ${flags.users}`);
}
/** Browser calls in the last phase, one at a time (issue 4: the median of 10). */
const CALLS = Number(flags.calls);
if (!Number.isInteger(CALLS) || CALLS <= 0) throw new Error(`--calls must be a positive integer, got ${flags.calls}`);
const STEADY_MS = Number(flags['steady-s']) * 1000;
const STEP_MS = Number(flags['step-s']) * 1000;
if (flags.shape !== 'burst' && flags.shape !== 'paced')
  throw new Error(`--shape is burst or paced, got ${flags.shape}`);
const SHAPE: LoadShape = flags.shape;
if (flags['server-main']) useServerBuild(path.resolve(flags['server-main']));
const ONLY = new Set(flags.only.split(',').map((name) => name.trim()));
const SOAK_MIN = Number(flags['soak-min']);
if (!(SOAK_MIN > 0)) throw new Error(`--soak-min must be a positive number of minutes, got ${flags['soak-min']}`);
const MATCH_USERS = Number(flags['match-users']);
/** Which of the cluster's two processes user `index` talks to: every category half on each. */
const clusterNodeOf = (index: number) => Math.floor(index / CATEGORIES.length) % 2;

/**
 * The relay phases pair the same users again (repair() splits (a)'s rooms over the processes, and
 * match() runs again after unmatch()): a rematch cooldown would refuse those pairs and the phase
 * would wait for a `matched` that never comes. The cooldown is the safety phase's to measure.
 */
const RELAY_SERVER_ENV = { REMATCH_COOLDOWN_S: '0' };

async function main(): Promise<void> {
  const started = performance.now();
  const machine = `${os.cpus().length} CPUs, Node ${process.versions.node}, load average ${os.loadavg()[0]!.toFixed(2)}`;
  const relays = ['server', 'cluster', 'group', 'floor'].some((name) => ONLY.has(name));
  const runs = [
    relays
      ? `${USERS} users over ${CATEGORIES.length} categories from ${SOURCE_ADDRESSES.length} loopback addresses, ${FRAME_BYTES}-byte signals`
      : '',
    ONLY.has('friends') ? `friends (${FRIENDS_LOAD})` : '',
    ONLY.has('safety') ? `safety (${SAFETY_LOAD})` : '',
    ONLY.has('languages') ? `languages (${LANGUAGES_LOAD})` : '',
    ONLY.has('accounts') ? `accounts (${ACCOUNTS_LOAD})` : '',
    ONLY.has('capacity') ? `capacity (up to ${flags['capacity-sockets']} sockets on one process)` : '',
    ONLY.has('chaos') ? `chaos (${CHAOS_LOAD})` : '',
    ONLY.has('call') ? `${CALLS} browser calls` : '',
    ONLY.has('shield') ? `the shield over ${CALLS} browser calls per model` : '',
    ONLY.has('web') ? `the web app's first screen, ${WEB_LOADS} loads each way` : '',
    ONLY.has('soak')
      ? `a ${SOAK_MIN}-minute soak (${SOAK_USERS.cluster} users on 2 processes, ${SOAK_USERS.sqlite} on SQLite)`
      : '',
  ].filter(Boolean);
  say(`Small Talk bench: ${runs.join(', then ')}, ${machine}`);
  const targets: Target[] = [];
  let results: Partial<Record<Name, Figures>> = {};
  const redis = haveRedis();
  if (!redis && (ONLY.has('cluster') || ONLY.has('group') || ONLY.has('friends'))) {
    say(
      'No redis-server on PATH: the cluster and group phases, and friends on 2 processes, are skipped (Debian: apt-get install redis-server).',
    );
  }
  try {
    // The floor first: every phase then takes turns floor, server, floor, server.
    if (ONLY.has('floor')) targets.push(await startFloor(root, NODE_FLAGS));
    if (ONLY.has('server')) targets.push(await startServer(root, NODE_FLAGS, RELAY_SERVER_ENV));
    if (ONLY.has('cluster') && redis)
      targets.push(await startCluster(root, 2, 'cluster', clusterNodeOf, NODE_FLAGS, RELAY_SERVER_ENV));
    // Split as the cluster is, so the two compare pair for pair.
    if (ONLY.has('group') && redis) targets.push(await startGroupModel(root, clusterNodeOf, NODE_FLAGS));
    if (targets.length > 0)
      results = await benchRelays(targets, { users: USERS, steadyMs: STEADY_MS, stepMs: STEP_MS, shape: SHAPE });
  } finally {
    await Promise.all(targets.map((t) => t.stop()));
  }
  // (e) alone on the machine: only the three processes and Redis run while 3,000 users join.
  const clusterMatch =
    redis && MATCH_USERS > 0 && ONLY.has('cluster') ? await matchOverThree(root, MATCH_USERS, NODE_FLAGS) : undefined;
  // Issue 7 on servers of its own, so that nothing the relays went through is in their tables.
  const friends: FriendsResults = {};
  if (ONLY.has('friends')) {
    friends.server = await friendsOn(await startServer(root, NODE_FLAGS, FRIENDS_SERVER_ENV));
    if (redis)
      friends.cluster = await friendsOn(
        await startCluster(root, 2, 'cluster', clusterNodeOf, NODE_FLAGS, FRIENDS_SERVER_ENV),
      );
  }
  // Issue 12 on servers of their own: (a) again with blocks and recent partners in the way.
  const safety: Record<string, SafetyFigures> = {};
  if (ONLY.has('safety')) {
    safety.server = await safetyOn(await startServer(root, NODE_FLAGS, SAFETY_SERVER_ENV));
    if (redis)
      safety.cluster = await safetyOn(
        await startCluster(root, 2, 'cluster', clusterNodeOf, NODE_FLAGS, SAFETY_SERVER_ENV),
      );
  }
  // Issue 15 on servers of their own: (a) again with languages and half the users saying anyone.
  const languages: Record<string, LanguagesFigures> = {};
  if (ONLY.has('languages')) {
    languages.server = await languagesOn(await startServer(root, NODE_FLAGS, LANGUAGES_SERVER_ENV));
    if (redis)
      languages.cluster = await languagesOn(
        await startCluster(root, 2, 'cluster', (index) => index % 2, NODE_FLAGS, LANGUAGES_SERVER_ENV),
      );
  }
  // Issue 15: a password reset answers in the same time for a member's address and an unknown one.
  let accounts: AccountsFigures | undefined;
  if (ONLY.has('accounts')) {
    const target = await startServer(root, NODE_FLAGS, ACCOUNTS_SERVER_ENV);
    try {
      accounts = await benchAccounts(target, say);
    } finally {
      await target.stop();
    }
  }
  // Issue 11 on a server of its own: one socket's worst allowed frames against another pair.
  let attack: AttackFigures | undefined;
  if (ONLY.has('attack')) attack = await attackOn(await startServer(root, NODE_FLAGS));
  // Issue 18: as many sockets as one process's fd limit allows, then 10,000 users over 3 processes.
  let capacity: CapacityFigures | undefined;
  if (ONLY.has('capacity'))
    capacity = await benchCapacity(root, {
      sockets: Number(flags['capacity-sockets']),
      clusterUsers: Number(flags['capacity-cluster-users']),
      nodeFlags: NODE_FLAGS,
      say,
      redis,
    });
  // Issue 18: processes killed under load, on services and processes of its own (server/test/chaos.ts).
  const chaos = ONLY.has('chaos') && redis ? await benchChaos(say) : undefined;
  // Last, with the relays gone: Chromium needs both cores for two peers' media. Direct calls,
  // then the same through a real coturn (issue 6), one call at a time.
  let call: CallFigures | undefined;
  let turnCall: CallFigures | undefined;
  if (ONLY.has('call')) {
    call = await benchCalls({ calls: CALLS, say });
    if (call.skipped) say(`call   skipped: ${call.skipped}`);
    turnCall = await benchCalls({ calls: CALLS, say, turn: true });
    if (turnCall.skipped) say(`turn   skipped: ${turnCall.skipped}`);
  }
  // Issue 14: the shield's classifier in the browser, alone on the machine like the calls.
  let shield: ShieldFigures | undefined;
  if (ONLY.has('shield')) shield = await benchShield({ calls: CALLS, say });
  // Issue 16: the first screen's size and time to interactive, alone on the machine too.
  let web: WebFigures | undefined;
  if (ONLY.has('web'))
    web = await benchWeb({ say, ...(flags['web-dir'] ? { webDir: path.resolve(flags['web-dir']) } : {}) });

  // Issue 18: minutes of churn, last and alone, so its memory and delay curves are its own.
  let soak: SoakFigures | undefined;
  if (ONLY.has('soak')) soak = await benchSoak({ minutes: SOAK_MIN, say });

  const file = path.join(root, '.tmp/bench-latest.json');
  printAndSave(
    {
      results,
      clusterMatch,
      call,
      turnCall,
      friends,
      safety,
      languages,
      accounts,
      attack,
      capacity,
      chaos,
      shield,
      web,
      soak,
    },
    { users: USERS, calls: CALLS, steadyMs: STEADY_MS, stepMs: STEP_MS, shape: SHAPE },
    file,
  );
  say(`\nwritten to ${path.relative(root, file)}; the bench took ${seconds(started)}`);
}

/** Issue 11's phase: 5 slices of 2 s without the attacker and 5 with, alternating, on `target`, which it stops afterwards. */
async function attackOn(target: Target): Promise<AttackFigures> {
  const endpoint = { url: `http://127.0.0.1:${target.port}`, wsUrl: `ws://127.0.0.1:${target.port}/ws` };
  // Lines printed at start (the no-TURN warning) are not the attack's.
  const startLines = target.lineCount();
  try {
    const f = await measureAttack({
      victims: [endpoint, endpoint],
      attackers: [endpoint, endpoint],
      health: endpoint,
      sliceMs: 2000,
      slices: 5,
    });
    const l = (x: AttackFigures['baseline']['relay']) => `p50 ${ms(x.p50)} p99 ${ms(x.p99)} ms`;
    say(`attack without: relay ${l(f.baseline.relay)}, /healthz ${l(f.baseline.healthz)}`);
    say(
      `attack with:    relay ${l(f.attacked.relay)}, /healthz ${l(f.attacked.healthz)}; the attacker sent ${f.attacker.framesSent} frames ` +
        `(${(f.attacker.bytesSent / 1024).toFixed(0)} KiB), got back ${JSON.stringify(f.attacker.errors)}${f.attacker.closeCode ? `, closed ${f.attacker.closeCode}` : ''}`,
    );
    f.logLines = target.lineCount() - startLines;
    if (f.logLines > 0)
      say(
        `attack: the server printed ${f.logLines} log lines (warn or worse); the last:\n  ${target.tail().slice(-5).join('\n  ')}`,
      );
    return f;
  } finally {
    await target.stop();
  }
}

/** The safety phase on `target`, which it stops afterwards. */
async function safetyOn(target: Target): Promise<SafetyFigures> {
  try {
    return await benchSafety(target, say);
  } finally {
    await target.stop();
  }
}

/** The languages phase on `target`, which it stops afterwards. */
async function languagesOn(target: Target): Promise<LanguagesFigures> {
  try {
    return await benchLanguages(target, say);
  } finally {
    await target.stop();
  }
}

/** The friends phase on `target`, which it stops afterwards. */
async function friendsOn(target: Target): Promise<FriendsFigures> {
  try {
    return await benchFriends(target, say);
  } finally {
    await target.stop();
  }
}

// A watchdog: whatever hangs, the bench ends and (through proc.ts's exit hook) takes its children with it.
// The capacity phase gets 25 minutes of its own: creating and connecting 20,000 guests, then
// 10,000 more, takes 10 to 20 on a loaded 2-core machine; the soak runs for its own length on top.
const WATCHDOG_MIN = 10 + (ONLY.has('capacity') ? 25 : 0) + (ONLY.has('soak') ? SOAK_MIN + 5 : 0);
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MIN} minutes; giving up`);
  process.exit(1);
}, WATCHDOG_MIN * 60_000);
watchdog.unref();

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error('bench failed:', error);
  process.exit(1);
}
