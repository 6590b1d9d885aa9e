import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { defineScript, unavailable, type RedisConnections, type Script } from '../redis.js';
import type { Delivery, FramesSentAway, Inbox, MessageBus } from './bus.js';
import { ProcessLease } from './lease.js';
import { encodeItem, inSenderOrder, openEnvelope, outsideStreams, sealEnvelope, type Envelope } from './envelope.js';
import { InOrder } from './order.js';
import { PeerLinks, type PeerAddress } from './peers.js';
import {
  ATTACH,
  AWAIT_RETURN,
  CLAIM,
  DELIVER,
  DRAIN,
  HOLD,
  PREPEND,
  PUSH,
  REANNOUNCE,
  RELEASE,
  type ScriptName,
} from './redis-scripts.js';

/** How often a process renews its lease and looks for dead processes and ended absences. */
export const SWEEP_MS = 500;
/** An absence whose owner's own timer has not ended it this long after its deadline is ended by any process. */
const SWEEP_SLACK_MS = 1000;
/** How long a new socket waits for the process that held its user to hand over (it may have just died). */
const HANDOFF_TIMEOUT_MS = 2000;
/**
 * How long a frame waits for its predecessor from the same sender before it passes without it
 * (see "Order" below). A predecessor is late only while another process sends it on, a Redis
 * round trip; this is the hand-off's patience halved, so a call's signaling stalls at most this
 * long in the one case it must (the process holding the predecessor died).
 */
export const GAP_MS = 1000;
/**
 * A batch of frames for one process (see "Batches" below) is cut at this many characters, so a
 * burst of thousands does not become one multi-megabyte string that the receiver can start on
 * only once all of it has come.
 */
const BATCH_CHARS = 64 * 1024;
/**
 * A batch for one process leaves once it holds this many frames, without waiting for the end of
 * the turn: a turn that reads a burst from thousands of sockets would otherwise hold the first
 * frames until the last is read, and the receiving process would idle until then. Measured with
 * the bench's burst (2,000 sockets, two processes): 128 took the two processes' relay p99 from
 * 1.79× the single process's to 1.27× and their sustained rate from 0.53× to 0.65×; 16 cut the
 * sustained rate to 7,500 frames/s (a PUBLISH costs Redis and the receiver more than its frames do).
 */
const BATCH_FRAMES = 128;

/**
 * Frame delivery for a cluster. Each process subscribes to its own channel; `on:<user>` names
 * the process that owns the user's deliveries: the one holding its socket, or, while the user is
 * away within its grace, the one that held it last. A frame for a socket on this process goes
 * straight to it; for one elsewhere, a plain PUBLISH to the owner's channel, the owner taken from
 * this process's cache of `on:<user>` (`routes`). No script runs per frame while the cache holds.
 *
 * The cache. A user's route is learnt from the DELIVER script (it reads `on:<user>`, PUBLISHes
 * and says to whom), the first time this process sends to the user and after each invalidation.
 * Whatever changes an owner tells every process on the `owners` channel, from the same script
 * that changes it: ATTACH (the user attached on another process: the new owner), CLAIM and
 * RELEASE (no owner: the route goes), RECLAIM (lease.ts: a process was lost: every route to it
 * goes) and REANNOUNCE (after Redis lost its data: every route goes). A detach changes nothing:
 * the owner stays the owner and holds. A PUBLISH that reaches nobody (it returns 0: the owner is
 * dead, or left) drops the route and sends that frame through the script, which holds it in the
 * list or PUBLISHes it to whoever owns the user now. A route learnt from a script whose answer
 * crossed an invalidation is not kept (`asked`), and a resubscribed channel drops every route
 * (invalidations may have been missed meanwhile).
 *
 * Order. Redis delivers one connection's PUBLISHes to a channel in order, so frames from one
 * sender to one owner arrive in order. A stale route can still send a frame to the old owner
 * after the user moved: the old owner then sends it on through the script to the new owner,
 * where it can arrive after newer frames the sender sent straight there. So every frame carries
 * a sequence number (per sending process) and `prev`, the number of the frame that process sent
 * the same user before; the owner passes a frame to the socket once its `prev` passed (order.ts).
 * The hand-off tells the new owner where each stream stood: the attach script PUBLISHes `moved`
 * to the old owner, which holds in the list every frame it got before `moved` and replies
 * `handoff` with, per sender, the last number it passed to the user (or held); only then does
 * the new owner read the list (in each sender's order) and then what arrived meanwhile. A frame
 * whose predecessor has not come waits GAP_MS, then passes (a resync): a frame is late only
 * while a process forwards it, a few milliseconds, even on a loaded one; one that has not come
 * in GAP_MS was in a process that died with it (the old design lost that frame too), and the
 * user is better served by the rest than by a stalled call. A frame that turns up after its
 * resync is dropped: the user never sees frames out of order.
 *
 * Batches. Frames for other processes wait for the end of the event loop's turn (`setImmediate`)
 * in `outbox`, per owner, or until BATCH_FRAMES wait for one owner; then that owner's go as one
 * message, in the order they were sent (cut at BATCH_CHARS): on the peer link to the owner
 * (peers.ts, where a marker keeps the order across the switch from Redis), else as one PUBLISH.
 * Under load a turn reads many sockets, so one message carries many frames: the link, or Redis,
 * the sender's client and the receiver's parser, are paid per message, not per frame. One frame
 * alone goes as `s`, as before. Every other command this process sends flushes the outbox first,
 * so the connection's order (a hand-off after the pushes, a script after the frames before it) is
 * the order in which the frames were sent, as without batches; a frame on a link may reach its
 * owner after a later one a script sent on, and waits for it there by its number, as in a move. A
 * batch that reaches nobody goes through the script frame by frame, in order, as a single frame
 * would.
 *
 * Held frames. While the user is away, its owner appends what reaches it to the held list (a
 * dead owner's frames: the script does it itself), up to the limit (one past it: the overflow
 * is told once). Each held item keeps its sender and numbers, so the next owner reads them in
 * each sender's order and knows where the streams stand. States (a friend's presence:
 * `Delivery.stateKey`) are held apart, the latest per key, never counted toward the limit; their
 * order against the held frames does not matter (only the latest state is shown, and it is
 * delivered after them, see bus.ts).
 *
 * Keys, after the prefix: on:<user> (owner), held:<user> (LIST), states:<user> (HASH: state key →
 * latest item, expiring and dropped with the list), users:<process> (SET of the users a process
 * owns), graces (ZSET of away users by deadline), peer-secret (the peer links' handshake);
 * channels p:<process> and owners. Which processes are alive is the lease's (lease.ts). Nothing
 * per frame is stored outside the held list, and the routes and stream numbers live in the
 * processes' memory only.
 *
 * The scripts and the channel messages' format: redis-scripts.ts; a frame's envelope: envelope.ts.
 */

/** What the attach and drain scripts take for a new socket: the held frames, then the held states. */
type Taken = [string[], string[]];

/** Where this process sends a user's frames, and the last number it sent the user. */
interface Route {
  user: string;
  /** The owner's process, as last learnt; null: ask the script. */
  owner: string | null;
  last: number;
  /** Bumped by each invalidation of this user's owner (see `answered`). */
  changes: number;
}

/** A frame waiting in the outbox for the end of the turn, with what its route was when it was sent. */
interface Outgoing {
  userId: string;
  frame: Envelope;
  route: Route;
  /** The invalidation counts when it was sent (see `asked`): plain numbers, not a closure, since every frame for another process has one. */
  version: number;
  changes: number;
}

interface Local {
  inbox: Inbox;
  /** Puts the frames from other processes back in each sender's order before the socket gets them. */
  order: InOrder<Envelope>;
  /** Set until the socket has had its greeting and held frames: what arrives meanwhile waits here. */
  attaching: {
    buffer: Envelope[];
    handoff: ((lasts: Array<[string, number]>) => void) | null;
    movedTo: string | null;
  } | null;
}

export interface RedisBusOptions {
  holdLimit: number;
  graceMs: number;
  /** Where to take frames straight from the other processes (peers.ts); null or absent: through Redis only. */
  peers?: PeerAddress | null;
  log: Logger;
}

/** A room's `matched`: it passes a gap in its sender's stream at once (see InOrder's `startsOver`). */
const startsRoom = (frame: Envelope): boolean => frame.delivery.room !== undefined && frame.delivery.room !== null;

export class RedisMessageBus implements MessageBus {
  private readonly lease: ProcessLease;
  /** Names this process in the cluster: in the lease set, on its users, on its queue entries. */
  readonly processId: string;
  private readonly local = new Map<string, Local>();
  /**
   * Users whose socket was here and who are away: we own what is held for them until they come
   * back. Each with where its streams stood when the socket went, for the next owner's handoff.
   */
  private readonly awayHere = new Map<string, Array<[string, number]>>();
  /** This process's view of `on:<user>` for the users it sends to (see the header: the cache). */
  private readonly routes = new Map<string, Route>();
  /** Bumped by invalidations of many routes at once (a process lost, Redis's data lost, our subscription cut). */
  private version = 0;
  /** The number of the last frame this process sent to another process, any user. */
  private seq = 0;
  /** Counted as plain numbers (a frame's path is per batch): see framesSentAway. */
  private readonly sentAway: FramesSentAway = { link: 0, redis: 0 };
  /** Frames for other processes by owner, until the end of this turn (see the header: batches). */
  private readonly outbox = new Map<string, Outgoing[]>();
  /** Links straight to the other processes, for the batches (peers.ts); undefined: everything through Redis. */
  private peers: PeerLinks | undefined;
  private flushing: NodeJS.Immediate | undefined;
  private readonly scripts: Record<ScriptName, Script>;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly ownersChannel: string;
  private readonly heldTtlMs: number;
  private overflowListener: (userId: string) => void = () => {};
  private lostListener: (processId: string, userIds: string[], lastAliveAt: number) => Promise<void> = async () => {};
  private dueListener: (userId: string) => Promise<void> = async () => {};
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private closed = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly options: RedisBusOptions,
  ) {
    this.lease = new ProcessLease(redis, options.log);
    this.processId = this.lease.processId;
    this.prefix = redis.prefix;
    this.channel = `${this.prefix}p:${this.processId}`;
    this.ownersChannel = `${this.prefix}owners`;
    // Held frames outlive the grace a little, then go: nobody will come for them.
    this.heldTtlMs = options.graceMs + 60_000;
    const c = redis.commands;
    this.scripts = {
      deliver: defineScript(c, 'stDeliver', DELIVER),
      push: defineScript(c, 'stPush', PUSH),
      attach: defineScript(c, 'stAttach', ATTACH),
      drain: defineScript(c, 'stDrain', DRAIN),
      prepend: defineScript(c, 'stPrepend', PREPEND),
      awaitReturn: defineScript(c, 'stAwaitReturn', AWAIT_RETURN),
      claim: defineScript(c, 'stClaim', CLAIM),
      release: defineScript(c, 'stRelease', RELEASE),
      hold: defineScript(c, 'stHold', HOLD),
      reannounce: defineScript(c, 'stReannounce', REANNOUNCE),
    };
  }

  /** Subscribes to this process's channel and the owners' one, takes the lease, and starts sweeping. */
  async start(): Promise<void> {
    const { commands, subscriber } = this.redis;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.ownersChannel) this.onOwner(message);
      else this.onMessage(message);
    });
    // Resubscribed after a lost connection: invalidations may have been missed meanwhile.
    subscriber.on('ready', () => this.forgetOwners());
    await subscriber.subscribe(this.channel, this.ownersChannel);
    if (this.options.peers) {
      this.peers = new PeerLinks({
        processId: this.processId,
        listen: this.options.peers,
        secret: await this.clusterSecret(randomBytes(32).toString('hex')),
        currentSecret: (ours) => this.clusterSecret(ours),
        log: this.options.log,
        addressOf: (processId) => this.lease.peerAddressOf(processId),
        // On the command connection, like every batch: after each one sent there before.
        mark: (to, linkId) => void this.redis.publish(`${this.prefix}p:${to}`, `l\n${linkId}`).catch(() => {}),
        receive: (message) => this.onLinked(message),
      });
      // Told with the lease, from the first renewal below.
      this.lease.peerAddress = await this.peers.listen();
    }
    commands.on('ready', () => {
      this.lease.reconnected();
      // Our live users' ownership may be gone with Redis's data: say it again before anything else.
      void this.sweep(true);
    });
    await this.sweep(false);
    this.timer = setInterval(() => void this.sweep(false), SWEEP_MS);
    this.timer.unref();
  }

  /** A process died: its queue entries must go, and these users (live there) start their grace. */
  onProcessLost(listener: (processId: string, userIds: string[], lastAliveAt: number) => Promise<void>): void {
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
    const entry: Local = {
      inbox,
      attaching,
      order: new InOrder((frame) => this.pass(userId, entry, frame), GAP_MS, startsRoom),
    };
    this.local.set(userId, entry);
    // Back on the process that held it: where its streams stood is ours already.
    for (const [sender, seq] of this.awayHere.get(userId) ?? []) entry.order.seen(sender, seq);
    this.awayHere.delete(userId);
    if (previous && previous.inbox !== inbox) {
      for (const [sender, seq] of previous.order.lasts()) entry.order.seen(sender, seq);
      attaching.buffer.push(...previous.order.takeWaiting());
      previous.inbox.replace();
    }

    let taken: Taken;
    this.flush();
    try {
      const answer = (await this.scripts.attach(this.prefix, userId, this.processId)) as Taken | 0;
      if (answer === 0) {
        // The previous owner is alive: it replies once everything it held is in the list.
        const lasts = await new Promise<Array<[string, number]>>((resolve) => {
          const timer = setTimeout(() => resolve([]), HANDOFF_TIMEOUT_MS);
          attaching.handoff = (handed) => {
            clearTimeout(timer);
            resolve(handed);
          };
        });
        for (const [sender, seq] of lasts) entry.order.seen(sender, seq);
        taken = (await this.scripts.drain(this.prefix, userId)) as Taken;
      } else {
        taken = answer;
      }
    } catch (error) {
      if (this.local.get(userId) === entry) this.local.delete(userId);
      unavailable(error);
    }

    // The frames in each sender's order, then the latest of each state; then what came meanwhile.
    const held = [...inSenderOrder(taken[0].map(openEnvelope)), ...taken[1].map(openEnvelope)];
    if (this.local.get(userId) !== entry) {
      // Closed or taken over while attaching: what was taken for it waits for the next socket.
      await this.rehold(userId, [...held, ...attaching.buffer]);
      if (attaching.movedTo) this.handOff(userId, attaching.movedTo, entry.order.lasts());
      return;
    }
    for (const delivery of greeting) inbox.deliver(delivery);
    for (const [i, frame] of held.entries()) {
      if (!inbox.deliver(frame.delivery)) {
        entry.attaching = null;
        await this.rehold(userId, [...held.slice(i), ...attaching.buffer]);
        return;
      }
      // Only what the socket took counts as passed: what is put back may reach the next owner
      // through its channel, where a number already passed would be dropped.
      entry.order.seen(frame.sender, frame.seq);
    }
    entry.attaching = null;
    for (const frame of attaching.buffer) entry.order.offer(frame);
  }

  detach(userId: string, inbox: Inbox): boolean {
    const entry = this.local.get(userId);
    if (!entry || entry.inbox !== inbox) return false;
    this.local.delete(userId);
    // We stay the owner: frames for the user now go to its held list, in order, through us;
    // those still waiting for a predecessor go there too (the next owner sorts each sender's).
    for (const frame of entry.order.takeWaiting()) this.push(userId, frame);
    this.awayHere.set(userId, entry.order.lasts());
    return true;
  }

  async awaitReturn(userId: string, deadline: number): Promise<boolean> {
    if (this.local.has(userId)) return false;
    this.flush();
    return (await this.scripts.awaitReturn(this.prefix, userId, this.processId, deadline).catch(unavailable)) === 1;
  }

  async claimAbsence(userId: string, due: boolean): Promise<boolean> {
    this.flush();
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
    this.flush();
    await this.scripts.release(this.prefix, userId, this.processId).catch(unavailable);
  }

  hold(userId: string): void {
    if (this.local.has(userId)) return;
    if (!this.awayHere.has(userId)) this.awayHere.set(userId, []);
    this.flush();
    this.scripts
      .hold(this.prefix, userId, this.processId)
      .catch((error: unknown) => this.options.log.warn({ err: error, userId }, 'could not hold for a user'));
  }

  framesSentAway(): FramesSentAway {
    return { ...this.sentAway };
  }

  async connectedCount(): Promise<number> {
    return this.lease.connectedCount().catch(unavailable);
  }

  async online(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    // Every process's users have an owner key while connected or away within their grace.
    const owners = await this.redis.commands.mget(userIds.map((id) => `${this.prefix}on:${id}`)).catch(unavailable);
    return new Set(userIds.filter((_id, i) => owners[i] !== null));
  }

  deliver(userId: string, delivery: Delivery): void {
    const entry = this.local.get(userId);
    const route = this.routes.get(userId);
    if (entry) {
      // Both on this process: socket to socket, no Redis round trip. Unless frames this process
      // sent the user while it was elsewhere may still be on their way: then this one goes
      // after them, numbered like them.
      const behind = route !== undefined && route.last !== 0 && entry.order.passedOf(this.processId) !== route.last;
      if (entry.attaching || behind) {
        const frame = this.envelope(userId, delivery);
        if (entry.attaching) return void entry.attaching.buffer.push(frame);
        return entry.order.offer(frame);
      }
      if (entry.inbox.deliver(delivery)) return;
    }
    this.send(userId, this.envelope(userId, delivery));
  }

  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Out of the lease set first, so processes draining at the same moment (a whole deployment
    // stopping) do not wait for each other to take users over.
    await this.lease.leave().catch(() => {});
    while (this.awayHere.size > 0 && Date.now() < deadline) {
      // Alone in the cluster, nobody can take our users over: waiting would only delay the exit.
      if (!(await this.lease.othersAlive().catch(() => false))) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.flush();
    for (const entry of this.local.values()) entry.order.takeWaiting();
    try {
      // Leaving, not dying: nobody needs to reclaim us. Users still away keep their deadline in
      // `graces`, which any process ends; frames for them are held, since nobody takes our channel.
      await this.lease.leave();
      // Still subscribed: a sender told `bye` sends its next frames through Redis.
      await this.peers?.close();
      await this.redis.subscriber.unsubscribe(this.channel, this.ownersChannel);
    } catch (error) {
      this.options.log.warn(
        { err: error },
        'could not leave the cluster cleanly; the others will reclaim this process',
      );
    }
  }

  /** Numbers a frame this process sends the user: next in this process's count, after the last it sent the user. */
  private envelope(userId: string, delivery: Delivery): Envelope {
    let route = this.routes.get(userId);
    if (!route) this.routes.set(userId, (route = { user: userId, owner: null, last: 0, changes: 0 }));
    const frame = { sender: this.processId, seq: ++this.seq, prev: route.last, delivery, item: encodeItem(delivery) };
    route.last = frame.seq;
    return frame;
  }

  /** To the owner's process by its cached route, or through the script (it learns the route). */
  private send(userId: string, frame: Envelope): void {
    const route = this.routes.get(userId);
    const owner = route?.owner;
    if (this.awayHere.has(userId)) return this.push(userId, frame);
    if (!owner || owner === this.processId) return this.route(userId, frame);
    let batch = this.outbox.get(owner);
    if (!batch) this.outbox.set(owner, (batch = []));
    batch.push({ userId, frame, route: route!, version: this.version, changes: route!.changes });
    if (batch.length >= BATCH_FRAMES) {
      this.outbox.delete(owner);
      return this.publishBatch(owner, batch);
    }
    this.flushing ??= setImmediate(() => this.flush());
  }

  /** Sends what waits in the outbox: per owner, its frames in the order sent, as few PUBLISHes as BATCH_CHARS allows. */
  flush(): void {
    if (this.flushing) {
      clearImmediate(this.flushing);
      this.flushing = undefined;
    }
    if (this.outbox.size === 0) return;
    const batches = [...this.outbox];
    this.outbox.clear();
    for (const [owner, frames] of batches) this.publishBatch(owner, frames);
  }

  /** One owner's frames, in the order sent: one `s` for a frame alone, else `b` batches cut at BATCH_CHARS. */
  private publishBatch(owner: string, frames: Outgoing[]): void {
    const channel = `${this.prefix}p:${owner}`;
    for (let start = 0; start < frames.length;) {
      if (start === frames.length - 1) {
        const { userId, frame } = frames[start]!;
        this.publish(owner, channel, `s\n${userId}\n${sealEnvelope(frame)}`, frames.slice(start));
        break;
      }
      // Joined once at the end: a string grown by `+=` is a chain of pieces, which ioredis's
      // Buffer.byteLength then copied into one (a fifth of the hop's CPU, profiled alone).
      const parts = ['b'];
      let chars = 1;
      let end = start;
      while (end < frames.length && (end === start || chars < BATCH_CHARS)) {
        const { userId, frame } = frames[end++]!;
        const sealed = sealEnvelope(frame);
        const part = `\n${userId}\n${sealed.length}\n${sealed}`;
        parts.push(part);
        chars += part.length;
      }
      this.publish(owner, channel, parts.join(''), end - start === frames.length ? frames : frames.slice(start, end));
      start = end;
    }
  }

  /** On the link to the owner when there is one (peers.ts), else through Redis. */
  private publish(owner: string, channel: string, message: string, frames: Outgoing[]): void {
    if (this.peers?.send(owner, message)) {
      this.sentAway.link += frames.length;
      return;
    }
    this.sentAway.redis += frames.length;
    this.redis.publish(channel, message).then(
      (reached) => {
        if (reached > 0) return;
        // Nobody took them: the owner is dead or gone. The script holds each, or finds the new owner.
        for (const { userId, frame, route, version, changes } of frames) {
          if (this.unchanged(route, version, changes)) route.owner = null;
          this.route(userId, frame);
        }
      },
      (error: unknown) =>
        this.options.log.warn({ err: error, frames: frames.length }, 'frames lost: redis unreachable'),
    );
  }

  /** Through the script: to the owner's process, or into the held list (a state: the held states). */
  private route(userId: string, frame: Envelope): void {
    this.flush();
    this.sentAway.redis++;
    const args = [this.prefix, userId, this.processId, sealEnvelope(frame), this.options.holdLimit, this.heldTtlMs];
    if (frame.delivery.stateKey !== undefined) args.push(frame.delivery.stateKey);
    const route = this.routes.get(userId);
    const asked = route && this.asked(route);
    this.watchOverflow(
      userId,
      this.scripts.deliver(...args).then((result) => {
        // Kept only if no invalidation crossed the answer: it may be older than the invalidation.
        if (typeof result === 'string' && asked?.()) route!.owner = result;
        // Dropped (nobody owns the user): the next frame starts a new stream rather than wait for this one.
        if (result === -1 && frame.sender === this.processId && route?.last === frame.seq) route.last = 0;
        return result;
      }),
    );
  }

  /** Into the held list (a state: the held states): the owner holds it for a user with no socket here (see onMessage). */
  private push(userId: string, frame: Envelope): void {
    this.flush();
    const args = [this.prefix, userId, sealEnvelope(frame), this.options.holdLimit, this.heldTtlMs];
    if (frame.delivery.stateKey !== undefined) args.push(frame.delivery.stateKey);
    this.watchOverflow(userId, this.scripts.push(...args));
  }

  /** The held list's length after a frame went in (see DELIVER, PUSH): one past the limit is an overflow, told once. */
  private watchOverflow(userId: string, length: Promise<unknown>): void {
    length.then(
      (result) => {
        if (result === this.options.holdLimit + 1) this.overflowListener(userId);
      },
      (error: unknown) => this.options.log.warn({ err: error, userId }, 'frame lost: redis unreachable'),
    );
  }

  /** A frame whose turn came (order.ts): to the socket, or held when the socket is closing. */
  private pass(userId: string, entry: Local, frame: Envelope): void {
    if (this.local.get(userId) === entry && entry.inbox.deliver(frame.delivery)) return;
    this.push(userId, frame);
  }

  private async rehold(userId: string, frames: Envelope[]): Promise<void> {
    if (frames.length === 0) return;
    this.flush();
    const held = frames.filter((frame) => frame.delivery.stateKey === undefined).map(sealEnvelope);
    const states = frames.flatMap((frame) =>
      frame.delivery.stateKey === undefined ? [] : [frame.delivery.stateKey, sealEnvelope(frame)],
    );
    await this.scripts
      .prepend(this.prefix, userId, this.processId, this.heldTtlMs, held.length, ...held, ...states)
      .catch((error: unknown) => this.options.log.warn({ err: error, userId }, 'frames lost: redis unreachable'));
  }

  /** Tells the new owner, after every push we made for the user, where each stream to it stands. */
  private handOff(userId: string, to: string, lasts: Array<[string, number]>): void {
    const mine = this.routes.get(userId)?.last;
    const streams = mine ? [...lasts, [this.processId, mine] as [string, number]] : lasts;
    this.flush();
    // On the command connection, after every push we made for the user: the new owner reads the list after this.
    this.redis.commands
      .publish(`${this.prefix}p:${to}`, ['h', userId, ...streams.map(([s, n]) => `${s} ${n}`)].join('\n'))
      .catch((error: unknown) => this.options.log.warn({ err: error, userId }, 'could not hand a user over'));
  }

  private onMessage(message: string): void {
    const kind = message[0];
    if (kind === 'b') return this.onBatch(message);
    const userEnd = message.indexOf('\n', 2);
    const userId = message.slice(2, userEnd < 0 ? undefined : userEnd);
    switch (kind) {
      case 's':
      case 'd': {
        const rest = message.slice(userEnd + 1);
        return this.arrived(userId, kind === 's' ? openEnvelope(rest) : outsideStreams(rest));
      }
      case 'm': {
        const to = message.slice(userEnd + 1);
        const away = this.awayHere.get(userId);
        this.awayHere.delete(userId);
        const entry = this.local.get(userId);
        if (entry) {
          this.local.delete(userId);
          entry.inbox.replace();
          // Still attaching: it hands over once it has put back what it took.
          if (entry.attaching) return void (entry.attaching.movedTo = to);
          for (const frame of entry.order.takeWaiting()) this.push(userId, frame);
          return this.handOff(userId, to, entry.order.lasts());
        }
        return this.handOff(userId, to, away ?? []);
      }
      case 'h': {
        const lasts = message
          .slice(userEnd + 1)
          .split('\n')
          .filter((line) => line !== '' && userEnd >= 0)
          .map((line): [string, number] => {
            const space = line.indexOf(' ');
            return [line.slice(0, space), Number(line.slice(space + 1))];
          });
        return this.local.get(userId)?.attaching?.handoff?.(lasts);
      }
      case 'r':
        this.awayHere.delete(userId);
        return;
      case 'l':
        // A sender's link to us is up, and every frame it sent us through Redis came before this (peers.ts).
        return this.peers?.marked(userId);
      default:
        // A kind this process does not know (one from a newer version, mid-upgrade): nothing of ours to do.
        return;
    }
  }

  /** What came on a peer link: only frames and batches travel there; anything else is not ours to do. */
  private onLinked(message: string): void {
    if (message[0] === 'b') this.onBatch(message);
    else if (message[0] === 's') this.onMessage(message);
  }

  /** A batch (see flush): each frame as if it had come alone, in the order sent. */
  private onBatch(message: string): void {
    let at = 1;
    while (at < message.length) {
      const userEnd = message.indexOf('\n', at + 1);
      const lengthEnd = message.indexOf('\n', userEnd + 1);
      if (userEnd < 0 || lengthEnd < 0) return;
      const userId = message.slice(at + 1, userEnd);
      at = lengthEnd + 1 + Number(message.slice(userEnd + 1, lengthEnd));
      this.arrived(userId, openEnvelope(message.slice(lengthEnd + 1, at)));
    }
  }

  /** A frame from another process for `userId`: to its socket here in order, held, or sent on. */
  private arrived(userId: string, frame: Envelope): void {
    const entry = this.local.get(userId);
    if (entry) {
      if (entry.attaching) return void entry.attaching.buffer.push(frame);
      return entry.order.offer(frame);
    }
    // The user is away and we own it: hold it.
    if (this.awayHere.has(userId)) return this.push(userId, frame);
    // Not ours (any more): the sender's route was stale. The script sends it on to the owner
    // (where its number puts it in place) or holds it; it was sent before the move, and ours
    // `handoff` reached the new owner before this does.
    return this.route(userId, frame);
  }

  /** An owner changed somewhere (see the header: the cache). */
  private onOwner(message: string): void {
    if (message === '*') return this.forgetOwners();
    if (message.startsWith('!')) {
      this.version++;
      const lost = message.slice(1);
      this.peers?.lost(lost);
      for (const route of this.routes.values()) if (route.owner === lost) route.owner = null;
      return;
    }
    const newline = message.indexOf('\n');
    const userId = message.slice(0, newline);
    const owner = message.slice(newline + 1);
    const route = this.routes.get(userId);
    if (!route) return;
    route.changes++;
    // No owner: the user is let go and its stream ends here, so the route's memory goes too.
    if (owner === '') this.routes.delete(userId);
    else route.owner = owner;
  }

  /**
   * The secret a peer link's handshake carries (peers.ts): made by the first process, kept in
   * Redis. `ours` is what goes in when Redis has none: a new secret at the first start, the one a
   * process knew after Redis lost its data (so the processes that outlived it keep theirs).
   */
  private async clusterSecret(ours: string): Promise<string> {
    const key = `${this.prefix}peer-secret`;
    await this.redis.commands.set(key, ours, 'NX');
    const secret = await this.redis.commands.get(key);
    if (!secret) throw new Error('redis lost the peer-link secret as it was made');
    return secret;
  }

  /** Whether what Redis answers now about the route's owner is still news when the answer comes: no invalidation came meanwhile. */
  private asked(route: Route): () => boolean {
    const { version } = this;
    const { changes } = route;
    return () => this.unchanged(route, version, changes);
  }

  private unchanged(route: Route, version: number, changes: number): boolean {
    return this.version === version && route.changes === changes && this.routes.get(route.user) === route;
  }

  private forgetOwners(): void {
    this.version++;
    for (const route of this.routes.values()) route.owner = null;
  }

  /** Renews the lease; reclaims dead processes; ends absences nobody else ended. Never two at once. */
  private async sweep(reconnected: boolean): Promise<void> {
    if (this.sweeping || this.closed || this.redis.commands.status !== 'ready') return;
    this.sweeping = true;
    try {
      const now = Date.now();
      if (this.lease.held) {
        const lapsed = await this.lease.renew(this.local.size, now);
        if (lapsed || reconnected) await this.reannounce(lapsed);
      }
      await this.lease.reclaimExpired(now, this.lostListener);

      const due = await this.redis.commands.zrangebyscore(
        `${this.prefix}graces`,
        '-inf',
        now - SWEEP_SLACK_MS,
        'LIMIT',
        0,
        200,
      );
      for (const userId of due) await this.dueListener(userId);
    } catch (error) {
      this.options.log.debug({ err: error }, 'sweep failed');
    } finally {
      this.sweeping = false;
    }
  }

  private async reannounce(takenForDead: boolean): Promise<void> {
    const live = [...this.local.keys()];
    this.flush();
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
