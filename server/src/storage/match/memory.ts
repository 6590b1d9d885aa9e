import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import {
  storedMember,
  WIDENED,
  type EndedRoom,
  type JoinResult,
  type MatchStore,
  type MatchStoreOptions,
  type Member,
  type Ring,
  type RingResult,
  type RingSide,
  type Room,
  type UntoldEnding,
  type WidenResult,
} from './store.js';

interface Waiting {
  member: Member;
  categories: readonly string[];
  /** Global arrival order: the smallest across the joiner's categories waited longest. It is also the entry's ticket. */
  seq: number;
  since: number;
  /** Set once its search widened: its place among the widened (same counter, so it orders them by widening). */
  widenedSeq?: number;
}

/**
 * The lists a waiting user with `languages` is in, for one category: the category's whole list
 * (read by joiners who named no language), and one per language it speaks, or the "none" list.
 * Slugs hold no space, so the keys cannot collide.
 */
export function listsOf(category: string, languages: readonly string[]): string[] {
  return languages.length === 0
    ? [category, `${category} -`]
    : [category, ...languages.map((code) => `${category} ${code}`)];
}

/**
 * The lists a joiner with `languages` reads, for one category: exactly the users compatible with
 * it (they share a language, or named none). Every list holds only compatible users, so everyone
 * skipped in one is shunned, and the first |shunned| + 1 entries hold the answer.
 */
export function readsOf(category: string, languages: readonly string[]): string[] {
  return languages.length === 0 ? [category] : [`${category} -`, ...languages.map((code) => `${category} ${code}`)];
}

/** The match store of a single process: plain maps, every step synchronous, so atomic. */
export class MemoryMatchStore implements MatchStore {
  private seq = 0;
  /** Per list (see listsOf), waiting users in the order they entered it (a Map iterates in insertion order). */
  private readonly queues = new Map<string, Map<string, Waiting>>();
  private readonly waiting = new Map<string, Waiting>();
  private readonly rooms = new Map<string, Room>();
  private readonly roomByUser = new Map<string, Room>();
  private readonly rings = new Map<string, Ring>();
  private readonly ringByUser = new Map<string, Ring>();
  /** Both ways: user → the users it blocked or was blocked by. */
  private readonly blocks = new Map<string, Set<string>>();
  /** Both ways: user → recent room partner → until when (ms) the two are kept apart. */
  private readonly recent = new Map<string, Map<string, number>>();
  /**
   * Each cooldown as it was set, from `cooledUpTo` on: the order they run out, since each lasts
   * the same. `cool` forgets those that ran out, so a user who never joins again (most guests)
   * does not keep its entry in `recent` for the life of the process.
   */
  private readonly cooling: Array<{ userId: string; until: number }> = [];
  private cooledUpTo = 0;

  constructor(private readonly options: MatchStoreOptions = { rematchCooldownMs: 0 }) {}

  async join(member: Member, categories: readonly string[]): Promise<JoinResult> {
    const current = this.roomByUser.get(member.id);
    if (current) return { kind: 'busy', room: current };
    this.dequeue(member.id);

    const shunned = this.shunnedBy(member.id, []);
    const partner = this.longestWaiting(categories, member.languages, shunned, false);
    if (!partner) return { kind: 'queued', ticket: this.enqueue(member, categories) };
    this.dequeue(partner.member.id);
    return this.open(partner, member, categories.find((c) => partner.categories.includes(c)) ?? null, false);
  }

  async widen(userId: string, ticket: number): Promise<WidenResult> {
    const entry = this.waiting.get(userId);
    if (!entry || entry.seq !== ticket) return { kind: 'gone' };
    if (entry.widenedSeq !== undefined) return { kind: 'widened' };
    const { member, categories } = entry;
    // The user is still queued: it must not find itself.
    const shunned = this.shunnedBy(userId, [userId]);
    // First its own categories, as a join would look. Someone compatible there has normally
    // matched it already (whichever of the two came second would have); only a shunning that
    // ended while both waited (a cooldown ran out, a block was lifted) leaves such a pair.
    let partner = this.longestWaiting(categories, member.languages, shunned, false);
    let category: string | null = null;
    if (partner) category = categories.find((c) => partner!.categories.includes(c)) ?? null;
    else partner = this.longestWaiting([WIDENED], member.languages, shunned, true);
    if (!partner) {
      entry.widenedSeq = this.seq++;
      this.insert(entry, WIDENED);
      return { kind: 'widened' };
    }
    this.dequeue(userId);
    this.dequeue(partner.member.id);
    return this.open(partner, member, category, category === null);
  }

  /**
   * The longest-waiting compatible user in `categories` who is not shunned: among the widened
   * (by when they widened) when `widened`. Each list read holds only compatible users, and
   * everyone skipped is in `shunned`, so this looks at most |shunned| + 1 entries per list.
   */
  private longestWaiting(
    categories: readonly string[],
    languages: readonly string[],
    shunned: Set<string>,
    widened: boolean,
  ): Waiting | undefined {
    let longest: Waiting | undefined;
    const order = (entry: Waiting) => (widened ? entry.widenedSeq! : entry.seq);
    for (const category of categories) {
      for (const key of readsOf(category, languages)) {
        const queue = this.queues.get(key);
        if (!queue) continue;
        for (const entry of queue.values()) {
          if (shunned.has(entry.member.id)) continue;
          if (!longest || order(entry) < order(longest)) longest = entry;
          break;
        }
      }
    }
    return longest;
  }

  /** A room for `partner` (dequeued already) and `member`, who makes the offer: it is connected right now and knows the peer is there. */
  private open(
    partner: Waiting,
    member: Member,
    category: string | null,
    widened: boolean,
  ): JoinResult & { kind: 'matched' } {
    const room: Room = {
      id: randomUUID(),
      category,
      ...(widened ? { widened: true } : {}),
      members: [partner.member, member],
      initiatorId: member.id,
      startedAt: new Date().toISOString(),
    };
    this.rooms.set(room.id, room);
    this.roomByUser.set(partner.member.id, room);
    this.roomByUser.set(member.id, room);
    return { kind: 'matched', room, waitedMs: Date.now() - partner.since };
  }

  async cancel(userId: string): Promise<boolean> {
    return this.dequeue(userId);
  }

  async remember(userId: string, shunned: readonly string[]): Promise<void> {
    for (const id of shunned) this.link(this.blocks, userId, id);
  }

  async block(a: string, b: string): Promise<void> {
    this.link(this.blocks, a, b);
    this.link(this.blocks, b, a);
  }

  async unblock(a: string, b: string): Promise<void> {
    this.blocks.get(a)?.delete(b);
    this.blocks.get(b)?.delete(a);
  }

  async roomOf(userId: string): Promise<Room | null> {
    return this.roomByUser.get(userId) ?? null;
  }

  // One process: what it ends it tells, or its death took both members' sockets with it.
  async end(roomId: string): Promise<EndedRoom | null> {
    const room = this.rooms.get(roomId);
    if (!room) return null;
    this.rooms.delete(roomId);
    for (const m of room.members) {
      if (this.roomByUser.get(m.id) === room) this.roomByUser.delete(m.id);
    }
    if (this.options.rematchCooldownMs > 0) {
      const until = Date.now() + this.options.rematchCooldownMs;
      const [x, y] = room.members;
      this.cool(x.id, y.id, until);
      this.cool(y.id, x.id, until);
    }
    // Every room this process made it announced: nothing else could end it first.
    return { room, unannounced: false };
  }

  async announced(): Promise<void> {}

  async unannouncedOf(): Promise<Room[]> {
    return [];
  }

  async told(): Promise<void> {}

  async untoldOf(): Promise<UntoldEnding[]> {
    return [];
  }

  async ring(ring: Ring): Promise<RingResult> {
    // No expiry here: the process that rings ends every ring it started, and dies with them.
    if (this.rings.has(ring.id)) return 'taken';
    const engaged = (userId: string) => this.roomByUser.has(userId) || this.ringByUser.has(userId);
    if (engaged(ring.caller.id)) return 'caller_busy';
    if (engaged(ring.callee.id)) return 'busy';
    this.rings.set(ring.id, ring);
    this.ringByUser.set(ring.caller.id, ring);
    this.ringByUser.set(ring.callee.id, ring);
    return 'ringing';
  }

  async ringOf(userId: string): Promise<Ring | null> {
    return this.ringByUser.get(userId) ?? null;
  }

  async takeRing(ringId: string, by?: RingSide): Promise<Ring | null> {
    const ring = this.rings.get(ringId);
    if (!ring || (by && ring[by.side].id !== by.userId)) return null;
    this.rings.delete(ringId);
    for (const member of [ring.caller, ring.callee]) {
      if (this.ringByUser.get(member.id) === ring) this.ringByUser.delete(member.id);
    }
    return ring;
  }

  async pair(initiator: Member, other: Member, callId: string): Promise<Room | null> {
    if (this.roomByUser.has(initiator.id) || this.roomByUser.has(other.id)) return null;
    this.dequeue(initiator.id);
    this.dequeue(other.id);
    const room: Room = {
      id: randomUUID(),
      category: null,
      members: [other, initiator],
      initiatorId: initiator.id,
      startedAt: new Date().toISOString(),
      callId,
    };
    this.rooms.set(room.id, room);
    this.roomByUser.set(initiator.id, room);
    this.roomByUser.set(other.id, room);
    return room;
  }

  async waitingByCategory(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    // A category's whole list is the one keyed by its bare slug.
    for (const [key, queue] of this.queues) if (key !== WIDENED && !key.includes(' ')) counts.set(key, queue.size);
    return counts;
  }

  async counts(): Promise<{ queued: number; rooms: number }> {
    return { queued: this.waiting.size, rooms: this.rooms.size };
  }

  /**
   * Saves the live rooms, so a restarted process can give them back to users who reconnect within
   * the grace: one process's memory is the only place they exist. The queue is not saved; every
   * socket is closed on restart, and a closed socket leaves the queue anyway.
   */
  saveRooms(file: string): number {
    const rooms = [...this.rooms.values()];
    fs.writeFileSync(file, JSON.stringify(rooms));
    return rooms.length;
  }

  /** Takes back the rooms a previous run saved (once: the file is removed) and returns them. */
  loadRooms(file: string): Room[] {
    let rooms: Room[];
    try {
      rooms = JSON.parse(fs.readFileSync(file, 'utf8')) as Room[];
    } catch {
      return [];
    }
    fs.rmSync(file, { force: true });
    rooms = rooms.map((room) => ({ ...room, members: [storedMember(room.members[0]), storedMember(room.members[1])] }));
    for (const room of rooms) {
      this.rooms.set(room.id, room);
      for (const member of room.members) this.roomByUser.set(member.id, room);
    }
    return rooms;
  }

  /** Whom the joiner must not be matched with: `avoid` (a widening searcher itself), its blocks, and recent partners still cooling down. */
  private shunnedBy(userId: string, avoid: readonly string[]): Set<string> {
    const shunned = new Set(avoid);
    for (const id of this.blocks.get(userId) ?? []) shunned.add(id);
    const recent = this.recent.get(userId);
    if (recent) {
      const now = Date.now();
      for (const [id, until] of recent) {
        if (until > now) shunned.add(id);
        else recent.delete(id);
      }
      if (recent.size === 0) this.recent.delete(userId);
    }
    return shunned;
  }

  private cool(userId: string, partnerId: string, until: number): void {
    let recent = this.recent.get(userId);
    if (!recent) this.recent.set(userId, (recent = new Map()));
    recent.set(partnerId, until);
    this.cooling.push({ userId, until });
    this.forgetCooled(Date.now());
  }

  /** Drops the cooldowns that ran out (see `cooling`): each is looked at once. */
  private forgetCooled(now: number): void {
    for (; this.cooledUpTo < this.cooling.length; this.cooledUpTo++) {
      const { userId, until } = this.cooling[this.cooledUpTo]!;
      if (until > now) break;
      const recent = this.recent.get(userId);
      if (!recent) continue;
      for (const [id, t] of recent) if (t <= now) recent.delete(id);
      if (recent.size === 0) this.recent.delete(userId);
    }
    // Cut the looked-at head once it is most of the array: amortised, no copy per room.
    if (this.cooledUpTo > 1024 && this.cooledUpTo * 2 > this.cooling.length) {
      this.cooling.splice(0, this.cooledUpTo);
      this.cooledUpTo = 0;
    }
  }

  private link(map: Map<string, Set<string>>, from: string, to: string): void {
    let set = map.get(from);
    if (!set) map.set(from, (set = new Set()));
    set.add(to);
  }

  /** Returns the entry's ticket. */
  private enqueue(member: Member, categories: readonly string[]): number {
    const entry: Waiting = { member, categories, seq: this.seq++, since: Date.now() };
    this.waiting.set(member.id, entry);
    for (const category of categories) this.insert(entry, category);
    return entry.seq;
  }

  private insert(entry: Waiting, category: string): void {
    for (const key of listsOf(category, entry.member.languages)) {
      let queue = this.queues.get(key);
      if (!queue) this.queues.set(key, (queue = new Map()));
      queue.set(entry.member.id, entry);
    }
  }

  private dequeue(userId: string): boolean {
    const entry = this.waiting.get(userId);
    if (!entry) return false;
    this.waiting.delete(userId);
    const categories = entry.widenedSeq === undefined ? entry.categories : [...entry.categories, WIDENED];
    for (const category of categories) {
      for (const key of listsOf(category, entry.member.languages)) {
        const queue = this.queues.get(key);
        queue?.delete(userId);
        // Languages make many lists: drop the empty ones rather than keep every pair ever used.
        if (queue?.size === 0 && key.includes(' ')) this.queues.delete(key);
      }
    }
    return true;
  }
}
