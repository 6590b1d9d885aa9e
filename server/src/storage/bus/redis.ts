import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { defineScript, unavailable, type RedisConnections, type Script } from '../redis.js';
import type { Delivery, Inbox, MessageBus } from './bus.js';

/** A process that has not renewed its lease for this long is taken for dead and its users reclaimed. */
export const LEASE_MS = 3000;
/** How often a process renews its lease and looks for dead processes and ended absences. */
export const SWEEP_MS = 500;
/** An absence whose owner's own timer has not ended it this long after its deadline is ended by any process. */
const SWEEP_SLACK_MS = 1000;
/** How long a new socket waits for the process that held its user to hand over (it may have just died). */
const HANDOFF_TIMEOUT_MS = 2000;

/**
 * Frame delivery for a cluster. Each process subscribes to its own channel; `on:<user>` names
 * the process that owns the user's deliveries: the one holding its socket, or, while the user is
 * away within its grace, the one that held it last. A frame for a socket on this process goes
 * straight to it; for one elsewhere, one script PUBLISHes it to the owner's channel, or, when the
 * owner is away from its socket or dead (nobody subscribed), appends it to the user's held list.
 *
 * Order: Redis runs scripts in the order one connection sends them and delivers a channel's
 * messages in order, so one sender's frames reach the owner in order. Only the owner writes the
 * held list while it is alive, and it changes hands only through its channel: a new owner's
 * attach script PUBLISHes `moved` to the old one, which replies `handoff` once every frame before
 * `moved` is in the held list; only then does the new owner read the list. A dead owner cannot
 * take messages (PUBLISH reaches nobody), so the script holds them itself.
 *
 * Keys, after the prefix: on:<user> (owner), held:<user> (LIST), users:<process> (SET of the
 * users a process owns), graces (ZSET of away users by deadline), procs (ZSET of processes by
 * lease expiry), live (HASH: process → how many users have a socket there, told with its lease);
 * channel p:<process>.
 */

/** Channel messages, one letter then fields on lines: d(eliver) user room text, m(oved) user to, h(andoff) user, r(eleased) user. */
const DELIVER = `
local P, user, me = ARGV[1], ARGV[2], ARGV[3]
local owner = redis.call('GET', P .. 'on:' .. user)
if not owner then return -1 end
if owner ~= me and redis.call('PUBLISH', P .. 'p:' .. owner, 'd\\n' .. user .. '\\n' .. ARGV[4]) > 0 then return 0 end
local held = P .. 'held:' .. user
if redis.call('LLEN', held) > tonumber(ARGV[5]) then return -2 end
local len = redis.call('RPUSH', held, ARGV[4])
redis.call('PEXPIRE', held, ARGV[6])
return len
`;

/** The owner holds a frame that reached its channel for a user with no socket here (see onMessage). */
const PUSH = `
local held = ARGV[1] .. 'held:' .. ARGV[2]
if redis.call('LLEN', held) > tonumber(ARGV[4]) then return -2 end
local len = redis.call('RPUSH', held, ARGV[3])
redis.call('PEXPIRE', held, ARGV[5])
return len
`;

/** Returns 0 when the previous owner is alive and will hand over; else the held items, taken. */
const ATTACH = `
local P, user, me = ARGV[1], ARGV[2], ARGV[3]
local key = P .. 'on:' .. user
local old = redis.call('GET', key)
redis.call('SET', key, me)
redis.call('SADD', P .. 'users:' .. me, user)
redis.call('ZREM', P .. 'graces', user)
if old and old ~= me then
  redis.call('SREM', P .. 'users:' .. old, user)
  if redis.call('PUBLISH', P .. 'p:' .. old, 'm\\n' .. user .. '\\n' .. me) > 0 then return 0 end
end
local held = P .. 'held:' .. user
local items = redis.call('LRANGE', held, 0, -1)
redis.call('DEL', held)
return items
`;

const DRAIN = `
local held = ARGV[1] .. 'held:' .. ARGV[2]
local items = redis.call('LRANGE', held, 0, -1)
redis.call('DEL', held)
return items
`;

/** Puts back, in front and in order, what a socket that closed while attaching could not take. */
const PREPEND = `
local P, user, me = ARGV[1], ARGV[2], ARGV[3]
local owner = redis.call('GET', P .. 'on:' .. user)
if owner == me then
  local held = P .. 'held:' .. user
  for i = #ARGV, 5, -1 do redis.call('LPUSH', held, ARGV[i]) end
  redis.call('PEXPIRE', held, ARGV[4])
elseif owner then
  for i = 5, #ARGV do redis.call('PUBLISH', P .. 'p:' .. owner, 'd\\n' .. user .. '\\n' .. ARGV[i]) end
end
return 0
`;

const AWAIT_RETURN = `
local P, user, me = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', P .. 'on:' .. user) ~= me then return 0 end
redis.call('ZADD', P .. 'graces', ARGV[4], user)
return 1
`;

const CLAIM = `
local P, user, me = ARGV[1], ARGV[2], ARGV[3]
local deadline = redis.call('ZSCORE', P .. 'graces', user)
if not deadline then return 0 end
if ARGV[4] == '1' and tonumber(deadline) > tonumber(ARGV[5]) then return 0 end
redis.call('ZREM', P .. 'graces', user)
local owner = redis.call('GET', P .. 'on:' .. user)
if owner then
  redis.call('DEL', P .. 'on:' .. user)
  redis.call('SREM', P .. 'users:' .. owner, user)
  if owner ~= me then redis.call('PUBLISH', P .. 'p:' .. owner, 'r\\n' .. user) end
end
redis.call('DEL', P .. 'held:' .. user)
return 1
`;

const RELEASE = `
local P, user, me = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', P .. 'on:' .. user) ~= me then return 0 end
redis.call('DEL', P .. 'on:' .. user, P .. 'held:' .. user)
redis.call('SREM', P .. 'users:' .. me, user)
redis.call('ZREM', P .. 'graces', user)
return 1
`;

const HOLD = `
if redis.call('SET', ARGV[1] .. 'on:' .. ARGV[2], ARGV[3], 'NX') then redis.call('SADD', ARGV[1] .. 'users:' .. ARGV[3], ARGV[2]) end
return 0
`;

/** Renews the lease and tells the live count; 1 when the process was not registered (new, taken for dead, or Redis lost its data). */
const HEARTBEAT = `
redis.call('HSET', ARGV[1] .. 'live', ARGV[2], ARGV[4])
return redis.call('ZADD', ARGV[1] .. 'procs', ARGV[3], ARGV[2])
`;
/** The live counts of the processes whose lease runs: a dead one's are not counted even before it is reclaimed. */
const CONNECTED = `
local total = 0
for _, proc in ipairs(redis.call('ZRANGEBYSCORE', ARGV[1] .. 'procs', ARGV[2], '+inf')) do
  total = total + (tonumber(redis.call('HGET', ARGV[1] .. 'live', proc)) or 0)
end
return total
`;

/** Says again that this process owns its live users (after Redis lost its data, or took us for dead). */
const REANNOUNCE = `
local P, me = ARGV[1], ARGV[2]
for i = 3, #ARGV do
  redis.call('SET', P .. 'on:' .. ARGV[i], me)
  redis.call('SADD', P .. 'users:' .. me, ARGV[i])
  redis.call('ZREM', P .. 'graces', ARGV[i])
end
return 0
`;

/**
 * Takes over a dead process's users, once (ZREM decides who). Returns the ones whose socket was
 * live there: their absence starts now. Those already away keep their deadline.
 */
const RECLAIM = `
local P, dead, me = ARGV[1], ARGV[2], ARGV[3]
if redis.call('ZREM', P .. 'procs', dead) == 0 then return false end
redis.call('HDEL', P .. 'live', dead)
local lost = {}
for _, u in ipairs(redis.call('SMEMBERS', P .. 'users:' .. dead)) do
  if redis.call('GET', P .. 'on:' .. u) == dead then
    redis.call('SET', P .. 'on:' .. u, me)
    redis.call('SADD', P .. 'users:' .. me, u)
    if not redis.call('ZSCORE', P .. 'graces', u) then lost[#lost + 1] = u end
  end
end
redis.call('DEL', P .. 'users:' .. dead)
return lost
`;

const LEAVE = `
local P, me = ARGV[1], ARGV[2]
redis.call('ZREM', P .. 'procs', me)
redis.call('HDEL', P .. 'live', me)
redis.call('DEL', P .. 'users:' .. me)
return 0
`;

type ScriptName =
  | 'connected'
  | 'deliver'
  | 'push'
  | 'attach'
  | 'drain'
  | 'prepend'
  | 'awaitReturn'
  | 'claim'
  | 'release'
  | 'hold'
  | 'heartbeat'
  | 'reannounce'
  | 'reclaim'
  | 'leave';

interface Local {
  inbox: Inbox;
  /** Set until the socket has had its greeting and held frames: what arrives meanwhile waits here. */
  attaching: { buffer: Delivery[]; handoff: (() => void) | null; movedTo: string | null } | null;
}

export interface RedisBusOptions {
  holdLimit: number;
  graceMs: number;
  log: Logger;
}

export class RedisMessageBus implements MessageBus {
  readonly processId = randomUUID();
  private readonly local = new Map<string, Local>();
  /** Users whose socket was here and who are away: we own what is held for them until they come back. */
  private readonly awayHere = new Set<string>();
  private readonly scripts: Record<ScriptName, Script>;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly heldTtlMs: number;
  private overflowListener: (userId: string) => void = () => {};
  private lostListener: (processId: string, userIds: string[]) => Promise<void> = async () => {};
  private dueListener: (userId: string) => Promise<void> = async () => {};
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private registered = false;
  /** When the command connection last became ready: no process is taken for dead until peers had a lease's time to renew. */
  private readySince = Date.now();
  private closed = false;
  /** Draining: no longer renews its lease, so it counts as gone for takeovers. */
  private draining = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly options: RedisBusOptions,
  ) {
    this.prefix = redis.prefix;
    this.channel = `${this.prefix}p:${this.processId}`;
    // Held frames outlive the grace a little, then go: nobody will come for them.
    this.heldTtlMs = options.graceMs + 60_000;
    const c = redis.commands;
    this.scripts = {
      connected: defineScript(c, 'stConnected', CONNECTED),
      deliver: defineScript(c, 'stDeliver', DELIVER),
      push: defineScript(c, 'stPush', PUSH),
      attach: defineScript(c, 'stAttach', ATTACH),
      drain: defineScript(c, 'stDrain', DRAIN),
      prepend: defineScript(c, 'stPrepend', PREPEND),
      awaitReturn: defineScript(c, 'stAwaitReturn', AWAIT_RETURN),
      claim: defineScript(c, 'stClaim', CLAIM),
      release: defineScript(c, 'stRelease', RELEASE),
      hold: defineScript(c, 'stHold', HOLD),
      heartbeat: defineScript(c, 'stHeartbeat', HEARTBEAT),
      reannounce: defineScript(c, 'stReannounce', REANNOUNCE),
      reclaim: defineScript(c, 'stReclaim', RECLAIM),
      leave: defineScript(c, 'stLeave', LEAVE),
    };
  }

  /** Subscribes to this process's channel, takes the lease, and starts sweeping. */
  async start(): Promise<void> {
    const { commands, subscriber } = this.redis;
    subscriber.on('message', (_channel: string, message: string) => this.onMessage(message));
    await subscriber.subscribe(this.channel);
    commands.on('ready', () => {
      this.readySince = Date.now();
      // Our live users' ownership may be gone with Redis's data: say it again before anything else.
      void this.sweep(true);
    });
    await this.sweep(false);
    this.timer = setInterval(() => void this.sweep(false), SWEEP_MS);
    this.timer.unref();
  }

  /** A process died: its queue entries must go, and these users (live there) start their grace. */
  onProcessLost(listener: (processId: string, userIds: string[]) => Promise<void>): void {
    this.lostListener = listener;
  }

  /** An absence whose process is gone passed its deadline. */
  onAbsenceDue(listener: (userId: string) => Promise<void>): void {
    this.dueListener = listener;
  }

  onOverflow(listener: (userId: string) => void): void {
    this.overflowListener = listener;
  }

  async attach(userId: string, inbox: Inbox, greeting: readonly Delivery[]): Promise<void> {
    const previous = this.local.get(userId);
    const attaching: NonNullable<Local['attaching']> = { buffer: [], handoff: null, movedTo: null };
    const entry: Local = { inbox, attaching };
    this.local.set(userId, entry);
    this.awayHere.delete(userId);
    if (previous && previous.inbox !== inbox) previous.inbox.replace();

    let items: string[];
    try {
      const taken = (await this.scripts.attach(this.prefix, userId, this.processId)) as string[] | 0;
      if (taken === 0) {
        // The previous owner is alive: it replies once everything it held is in the list.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, HANDOFF_TIMEOUT_MS);
          attaching.handoff = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        items = (await this.scripts.drain(this.prefix, userId)) as string[];
      } else {
        items = taken;
      }
    } catch (error) {
      if (this.local.get(userId) === entry) this.local.delete(userId);
      unavailable(error);
    }

    const pending = [...items.map(decodeItem), ...attaching.buffer];
    if (this.local.get(userId) !== entry) {
      // Closed or taken over while attaching: what was taken for it waits for the next socket.
      await this.rehold(userId, pending);
      if (attaching.movedTo) this.handOff(userId, attaching.movedTo);
      return;
    }
    entry.attaching = null;
    for (const delivery of greeting) inbox.deliver(delivery);
    for (const [i, delivery] of pending.entries()) {
      if (!inbox.deliver(delivery)) {
        await this.rehold(userId, pending.slice(i));
        return;
      }
    }
  }

  detach(userId: string, inbox: Inbox): boolean {
    const entry = this.local.get(userId);
    if (!entry || entry.inbox !== inbox) return false;
    this.local.delete(userId);
    // We stay the owner: frames for the user now go to its held list, in order, through us.
    this.awayHere.add(userId);
    return true;
  }

  async awaitReturn(userId: string, deadline: number): Promise<boolean> {
    if (this.local.has(userId)) return false;
    return (await this.scripts.awaitReturn(this.prefix, userId, this.processId, deadline).catch(unavailable)) === 1;
  }

  async claimAbsence(userId: string, due: boolean): Promise<boolean> {
    const claimed =
      (await this.scripts
        .claim(this.prefix, userId, this.processId, due ? '1' : '0', Date.now())
        .catch(unavailable)) === 1;
    if (claimed) this.awayHere.delete(userId);
    return claimed;
  }

  async release(userId: string): Promise<void> {
    if (this.local.has(userId)) return;
    this.awayHere.delete(userId);
    await this.scripts.release(this.prefix, userId, this.processId).catch(unavailable);
  }

  hold(userId: string): void {
    if (this.local.has(userId)) return;
    this.awayHere.add(userId);
    this.scripts
      .hold(this.prefix, userId, this.processId)
      .catch((error: unknown) => this.options.log.warn({ err: error, userId }, 'could not hold for a user'));
  }

  async connectedCount(): Promise<number> {
    return Number(await this.scripts.connected(this.prefix, Date.now()).catch(unavailable));
  }

  async online(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    // Every process's users have an owner key while connected or away within their grace.
    const owners = await this.redis.commands.mget(userIds.map((id) => `${this.prefix}on:${id}`)).catch(unavailable);
    return new Set(userIds.filter((_id, i) => owners[i] !== null));
  }

  deliver(userId: string, delivery: Delivery): void {
    const entry = this.local.get(userId);
    if (entry) {
      if (entry.attaching) {
        entry.attaching.buffer.push(delivery);
        return;
      }
      // Both on this process: socket to socket, no Redis round trip.
      if (entry.inbox.deliver(delivery)) return;
    }
    this.route(userId, encodeItem(delivery));
  }

  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Out of the lease set first, so processes draining at the same moment (a whole deployment
    // stopping) do not wait for each other to take users over.
    this.draining = true;
    await this.scripts.leave(this.prefix, this.processId).catch(() => {});
    while (this.awayHere.size > 0 && Date.now() < deadline) {
      // Alone in the cluster, nobody can take our users over: waiting would only delay the exit.
      if (!(await this.othersAlive().catch(() => false))) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async othersAlive(): Promise<boolean> {
    const alive = await this.redis.commands.zrangebyscore(`${this.prefix}procs`, Date.now(), '+inf', 'LIMIT', 0, 2);
    return alive.some((processId) => processId !== this.processId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    try {
      // Leaving, not dying: nobody needs to reclaim us. Users still away keep their deadline in
      // `graces`, which any process ends; frames for them are held, since nobody takes our channel.
      await this.scripts.leave(this.prefix, this.processId);
      await this.redis.subscriber.unsubscribe(this.channel);
    } catch (error) {
      this.options.log.warn(
        { err: error },
        'could not leave the cluster cleanly; the others will reclaim this process',
      );
    }
  }

  /** Through Redis: to the owner's process, or into the held list. */
  private route(userId: string, item: string): void {
    this.scripts.deliver(this.prefix, userId, this.processId, item, this.options.holdLimit, this.heldTtlMs).then(
      (result) => {
        if (result === this.options.holdLimit + 1) this.overflowListener(userId);
      },
      (error: unknown) => this.options.log.warn({ err: error, userId }, 'frame lost: redis unreachable'),
    );
  }

  private push(userId: string, item: string): void {
    this.scripts.push(this.prefix, userId, item, this.options.holdLimit, this.heldTtlMs).then(
      (result) => {
        if (result === this.options.holdLimit + 1) this.overflowListener(userId);
      },
      (error: unknown) => this.options.log.warn({ err: error, userId }, 'frame lost: redis unreachable'),
    );
  }

  private async rehold(userId: string, deliveries: Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.scripts
      .prepend(this.prefix, userId, this.processId, this.heldTtlMs, ...deliveries.map(encodeItem))
      .catch((error: unknown) => this.options.log.warn({ err: error, userId }, 'frames lost: redis unreachable'));
  }

  private handOff(userId: string, to: string): void {
    // On the command connection, after every push we made for the user: the new owner reads the list after this.
    this.redis.commands
      .publish(`${this.prefix}p:${to}`, `h\n${userId}`)
      .catch((error: unknown) => this.options.log.warn({ err: error, userId }, 'could not hand a user over'));
  }

  private onMessage(message: string): void {
    const kind = message[0];
    const userEnd = message.indexOf('\n', 2);
    const userId = message.slice(2, userEnd < 0 ? undefined : userEnd);
    switch (kind) {
      case 'd': {
        const item = message.slice(userEnd + 1);
        const entry = this.local.get(userId);
        if (entry) {
          if (entry.attaching) return void entry.attaching.buffer.push(decodeItem(item));
          if (entry.inbox.deliver(decodeItem(item))) return;
        }
        // No socket here to take it: hold it, even if the user has just attached elsewhere. It was
        // sent before that attach (or it would have gone there), so it belongs in the list the
        // new owner reads after our handoff, not after the frames it has received since.
        return this.push(userId, item);
      }
      case 'm': {
        const to = message.slice(userEnd + 1);
        this.awayHere.delete(userId);
        const entry = this.local.get(userId);
        if (entry) {
          this.local.delete(userId);
          entry.inbox.replace();
          // Still attaching: it hands over once it has put back what it took.
          if (entry.attaching) return void (entry.attaching.movedTo = to);
        }
        return this.handOff(userId, to);
      }
      case 'h':
        return this.local.get(userId)?.attaching?.handoff?.();
      case 'r':
        this.awayHere.delete(userId);
        return;
    }
  }

  /** Renews the lease; reclaims dead processes; ends absences nobody else ended. Never two at once. */
  private async sweep(reconnected: boolean): Promise<void> {
    if (this.sweeping || this.closed || this.redis.commands.status !== 'ready') return;
    this.sweeping = true;
    const { commands } = this.redis;
    try {
      const now = Date.now();
      if (!this.draining) {
        const added = await this.scripts.heartbeat(this.prefix, this.processId, now + LEASE_MS, this.local.size);
        if ((added === 1 && this.registered) || reconnected) await this.reannounce(added === 1 && this.registered);
        this.registered = true;
      }

      if (now - this.readySince >= LEASE_MS) {
        const expired = await commands.zrangebyscore(`${this.prefix}procs`, '-inf', now);
        for (const processId of expired) {
          if (processId === this.processId) continue;
          const lost = (await this.scripts.reclaim(this.prefix, processId, this.processId)) as string[] | null;
          if (lost === null) continue; // another process took it
          this.options.log.warn(
            { processId, users: lost.length },
            'process lost: reclaiming its users and queue entries',
          );
          await this.lostListener(processId, lost);
        }
      }

      const due = await commands.zrangebyscore(`${this.prefix}graces`, '-inf', now - SWEEP_SLACK_MS, 'LIMIT', 0, 200);
      for (const userId of due) await this.dueListener(userId);
    } catch (error) {
      this.options.log.debug({ err: error }, 'sweep failed');
    } finally {
      this.sweeping = false;
    }
  }

  private async reannounce(takenForDead: boolean): Promise<void> {
    const live = [...this.local.keys()];
    if (takenForDead)
      this.options.log.warn(
        { users: live.length },
        'this process was taken for dead (or Redis lost its data): announcing its users again',
      );
    for (let i = 0; i < live.length; i += 500) {
      await this.scripts.reannounce(this.prefix, this.processId, ...live.slice(i, i + 500));
    }
  }
}

/**
 * A delivery as it travels: the room field (empty: unchanged, `-`: none, else `roomId peerId`),
 * then, for a socket to close after the frame, a tab, the code, a space and the reason; a
 * newline; the frame.
 */
function encodeItem(delivery: Delivery): string {
  const room =
    delivery.room === undefined ? '' : delivery.room === null ? '-' : `${delivery.room.roomId} ${delivery.room.peerId}`;
  // The header is one line: a reason never carries a tab or newline into it.
  const close = delivery.close ? `\t${delivery.close.code} ${delivery.close.reason.replace(/[\t\r\n]/g, ' ')}` : '';
  return `${room}${close}\n${delivery.text}`;
}

function decodeItem(item: string): Delivery {
  const newline = item.indexOf('\n');
  const header = item.slice(0, newline);
  const text = item.slice(newline + 1);
  const tab = header.indexOf('\t');
  const room = tab === -1 ? header : header.slice(0, tab);
  const delivery: Delivery = { text };
  if (tab !== -1) {
    const close = header.slice(tab + 1);
    const space = close.indexOf(' ');
    delivery.close = { code: Number(close.slice(0, space)), reason: close.slice(space + 1) };
  }
  if (room === '-') delivery.room = null;
  else if (room !== '') {
    const space = room.indexOf(' ');
    delivery.room = { roomId: room.slice(0, space), peerId: room.slice(space + 1) };
  }
  return delivery;
}
