import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { defineScript, unavailable, type Script } from '../redis.js';
import {
  storedMember,
  type JoinResult,
  type MatchStore,
  type MatchStoreOptions,
  type EndedRoom,
  type Member,
  type Ring,
  type RingResult,
  type RingSide,
  type Room,
  type RoomEnding,
  type UntoldEnding,
  type WidenResult,
} from './store.js';

/**
 * The match store of a cluster: every process reads and changes the same queue and rooms in
 * Redis, and each step is one Lua script, so two processes can never interleave inside a join or
 * an end. Keys, after the prefix:
 *
 *   seq            global arrival counter (FIFO across categories)
 *   q:<category>   ZSET of waiting user ids scored by arrival: the category's whole list
 *   q:<category>:<language>, q:<category>:-
 *                  the same, only those who speak that language / who named none (see listsOf)
 *   q:*, q:*:<language>, q:*:-
 *                  the widened searches, scored by when they widened
 *   w:<user>       HASH of a waiting user: m (member JSON), c (categories JSON), l (languages JSON),
 *                  s (seq: its ticket), t (since, ms), p (process), x (seq when it widened, if it did)
 *   waiting        SET of waiting users            qp:<process>  SET of the users a process queued
 *   room:<id>      the room, as JSON                ur:<user>     the id of the user's room
 *   rooms          SET of live room ids             cats          SET of categories ever queued in
 *   ring:<id>      a direct call ringing, as JSON   rg:<user>     the id of the user's ring (both sides)
 *   bl:<user>      SET of the users it blocked or was blocked by (a mirror of the database's blocks)
 *   cd:<user>      ZSET of recent room partners scored by when the rematch cooldown ends (ms); expires with it
 *   unannounced:<process>  SET of the rooms a process made whose members it has not yet told (`matched`)
 *   untold:<process>       HASH of the rooms a process ended whose members it has not yet told
 */

/**
 * The lists a waiting user is in, for one category: the whole list, and one per language it
 * speaks or the "none" list. The lists a searcher reads: exactly the users compatible with it.
 * Shared by the scripts below (memory.ts has the same two).
 */
const LISTS = `
local function listsOf(P, cat, langs)
  local keys = { P .. 'q:' .. cat }
  if #langs == 0 then keys[2] = P .. 'q:' .. cat .. ':-' end
  for _, l in ipairs(langs) do keys[#keys + 1] = P .. 'q:' .. cat .. ':' .. l end
  return keys
end
local function readsOf(P, cat, langs)
  if #langs == 0 then return { P .. 'q:' .. cat } end
  local keys = { P .. 'q:' .. cat .. ':-' }
  for _, l in ipairs(langs) do keys[#keys + 1] = P .. 'q:' .. cat .. ':' .. l end
  return keys
end
`;

/** Takes a user out of the queue; shared by the scripts below. */
const DEQUEUE = `${LISTS}
local function dequeue(P, user)
  local w = P .. 'w:' .. user
  local fields = redis.call('HMGET', w, 'c', 'p', 'l', 'x')
  if not fields[1] then return false end
  local langs = fields[3] and cjson.decode(fields[3]) or {}
  local cats = cjson.decode(fields[1])
  if fields[4] then cats[#cats + 1] = '*' end
  for _, cat in ipairs(cats) do
    for _, key in ipairs(listsOf(P, cat, langs)) do redis.call('ZREM', key, user) end
  end
  redis.call('DEL', w)
  redis.call('SREM', P .. 'waiting', user)
  if fields[2] then redis.call('SREM', P .. 'qp:' .. fields[2], user) end
  return true
end
`;

/**
 * Writes a new room and points both members at it; returns its JSON. The room stays among its
 * process's unannounced ones until that process has sent both `matched` (ANNOUNCED), or a survivor
 * takes it (UNANNOUNCED) if it dies first: otherwise a member would wait as if queued, in a room.
 * The room names its maker (`madeBy`) so that an end can find it there (END).
 */
const WRITE_ROOM = `
local function writeRoom(P, proc, roomId, category, first, second, initiatorId, startedAt, widened, callId)
  local room = cjson.encode({ id = roomId, category = category, widened = widened, members = { first, second }, initiatorId = initiatorId, startedAt = startedAt, callId = callId, madeBy = proc })
  redis.call('SET', P .. 'room:' .. roomId, room)
  redis.call('SET', P .. 'ur:' .. first.id, roomId)
  redis.call('SET', P .. 'ur:' .. second.id, roomId)
  redis.call('SADD', P .. 'rooms', roomId)
  redis.call('SADD', P .. 'unannounced:' .. proc, roomId)
  redis.call('PEXPIRE', P .. 'unannounced:' .. proc, 3600000)
  return room
end
`;

/**
 * Who the searcher must not meet, and the search itself, shared by JOIN and WIDEN. `shunning`
 * takes the ids passed in (WIDEN's searcher, still queued itself) and adds the searcher's blocks
 * and cooling partners, which are looked up for the few heads read, not read whole: a user with
 * many blocks costs a search no more than one with none. `longest` returns the earliest-scored user who is not shunned across
 * `keys`: every list read holds only compatible users and everyone skipped is shunned, so the
 * first count + 1 entries of each hold the answer. The head is seldom shunned: a short page
 * first, and when all of it is, the rest of those count + 1 in one more call.
 */
const SEARCH = `
local function shunning(P, user, now, avoid)
  local shunned, count = {}, 0
  for _, id in ipairs(avoid) do shunned[id] = true; count = count + 1 end
  local bl = P .. 'bl:' .. user
  local cd = P .. 'cd:' .. user
  redis.call('ZREMRANGEBYSCORE', cd, '-inf', now)
  count = count + redis.call('SCARD', bl) + redis.call('ZCARD', cd)
  local function isShunned(id)
    return shunned[id] or redis.call('SISMEMBER', bl, id) == 1 or redis.call('ZSCORE', cd, id) ~= false
  end
  return isShunned, count
end
local PAGE = 8
local function longest(keys, isShunned, count)
  local best, bestScore
  for _, key in ipairs(keys) do
    local from, found = 0, false
    while not found and from <= count do
      local upto = from == 0 and PAGE - 1 or count
      local heads = redis.call('ZRANGE', key, from, upto, 'WITHSCORES')
      for i = 1, #heads, 2 do
        if not isShunned(heads[i]) then
          local score = tonumber(heads[i + 1])
          if not bestScore or score < bestScore then
            best = heads[i]
            bestScore = score
          end
          found = true
          break
        end
      end
      if #heads < 2 * (upto - from + 1) then break end
      from = upto + 1
    end
  end
  return best
end
-- The partner's record, or nil after dropping a list entry that has none (it cannot be
-- matched) from the lists just read: the caller then looks again.
local function record(P, best, keys)
  local partner = redis.call('HMGET', P .. 'w:' .. best, 'm', 'c', 't')
  if partner[1] then return partner end
  for _, key in ipairs(keys) do redis.call('ZREM', key, best) end
  return nil
end
-- The first of cats (the searcher's, in its order) that the partner's categories JSON holds.
local function shared(cats, theirsJson)
  local theirs = {}
  for _, c in ipairs(cjson.decode(theirsJson)) do theirs[c] = true end
  for _, c in ipairs(cats) do
    if theirs[c] then return c end
  end
  return cjson.null
end
local function readsAll(P, cats, langs)
  local keys = {}
  for _, cat in ipairs(cats) do
    for _, key in ipairs(readsOf(P, cat, langs)) do keys[#keys + 1] = key end
  end
  return keys
end
`;

/**
 * ARGV: prefix, user id, member JSON, process, now (ms), new room id, startedAt, categories JSON,
 * languages JSON.
 * Busy when in a room; else out of the queue (re-joining replaces categories); then, across the
 * lists of the joiner's categories it may read (compatible users only), the earliest arrival who
 * is not shunned (in bl:<user>, or in cd:<user> still cooling down) is the partner. The
 * joiner was dequeued first, so it can never find itself. Shunned users keep their place for
 * everyone else. Queued: returns the entry's ticket.
 */
const JOIN = `${DEQUEUE}${WRITE_ROOM}${SEARCH}
local P, user, member, proc, now, roomId, startedAt, catsJson = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local cats = cjson.decode(catsJson)
local langsJson = ARGV[9]
local langs = cjson.decode(langsJson)
local current = redis.call('GET', P .. 'ur:' .. user)
if current then
  local room = redis.call('GET', P .. 'room:' .. current)
  if room then return {'busy', room} end
  redis.call('DEL', P .. 'ur:' .. user)
end
dequeue(P, user)
local isShunned, count = shunning(P, user, now, {})
local keys = readsAll(P, cats, langs)
while true do
  local best = longest(keys, isShunned, count)
  if not best then
    local seq = redis.call('INCR', P .. 'seq')
    for _, cat in ipairs(cats) do
      for _, key in ipairs(listsOf(P, cat, langs)) do redis.call('ZADD', key, seq, user) end
      redis.call('SADD', P .. 'cats', cat)
    end
    redis.call('HSET', P .. 'w:' .. user, 'm', member, 'c', catsJson, 'l', langsJson, 's', seq, 't', now, 'p', proc)
    redis.call('SADD', P .. 'waiting', user)
    redis.call('SADD', P .. 'qp:' .. proc, user)
    return {'queued', seq}
  end
  local partner = record(P, best, keys)
  if partner then
    dequeue(P, best)
    -- The joiner is connected right now and knows the peer is there: it makes the offer.
    local room = writeRoom(P, proc, roomId, shared(cats, partner[2]), cjson.decode(partner[1]), cjson.decode(member), user, startedAt, nil)
    return {'matched', room, partner[3]}
  end
end
`;

/**
 * ARGV: prefix, user id, ticket, now (ms), new room id, startedAt, process.
 * Gone unless the user is still queued with that ticket. Then, as memory.ts's widen: its own
 * categories first (someone compatible there has normally matched it already: whichever of the
 * two came second would have; only a shunning that ended while both waited leaves such a pair),
 * then the widened lists (a room with category null), else it joins them, scored by a new seq.
 */
const WIDEN = `${DEQUEUE}${WRITE_ROOM}${SEARCH}
local P, user, ticket, now, roomId, startedAt, proc = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local w = P .. 'w:' .. user
local mine = redis.call('HMGET', w, 'm', 'c', 'l', 's', 'x')
if not mine[1] or mine[4] ~= ticket then return {'gone'} end
if mine[5] then return {'widened'} end
local cats = cjson.decode(mine[2])
local langs = mine[3] and cjson.decode(mine[3]) or {}
-- Still queued: it must not find itself.
local isShunned, count = shunning(P, user, now, { user })
local inCategories = readsAll(P, cats, langs)
local widened = readsOf(P, '*', langs)
while true do
  local category, keys = nil, inCategories
  local best = longest(keys, isShunned, count)
  if not best then
    keys = widened
    best = longest(keys, isShunned, count)
  end
  if not best then
    local seq = redis.call('INCR', P .. 'seq')
    for _, key in ipairs(listsOf(P, '*', langs)) do redis.call('ZADD', key, seq, user) end
    redis.call('HSET', w, 'x', seq)
    return {'widened'}
  end
  local partner = record(P, best, keys)
  if partner then
    dequeue(P, best)
    dequeue(P, user)
    local room
    if keys == inCategories then
      room = writeRoom(P, proc, roomId, shared(cats, partner[2]), cjson.decode(partner[1]), cjson.decode(mine[1]), user, startedAt, nil)
    else
      room = writeRoom(P, proc, roomId, cjson.null, cjson.decode(partner[1]), cjson.decode(mine[1]), user, startedAt, true)
    end
    return {'matched', room, partner[3]}
  end
end
`;

/** ARGV: prefix, a, b, and 'add' or 'remove': both directions at once. */
const BLOCK = `
local P, a, b = ARGV[1], ARGV[2], ARGV[3]
local op = ARGV[4] == 'add' and 'SADD' or 'SREM'
redis.call(op, P .. 'bl:' .. a, b)
redis.call(op, P .. 'bl:' .. b, a)
return 1
`;

const CANCEL = `${DEQUEUE}
return dequeue(ARGV[1], ARGV[2]) and 1 or 0
`;

const ROOM_OF = `
local id = redis.call('GET', ARGV[1] .. 'ur:' .. ARGV[2])
if not id then return false end
return redis.call('GET', ARGV[1] .. 'room:' .. id)
`;

/**
 * Ends a room once: the script that deletes it returns it, any later one gets nothing.
 * ARGV: prefix, room id, now (ms), rematch cooldown (ms; 0 = off). The two members go into each
 * other's cd: set until the cooldown ends; the set expires with its last entry.
 */
const END = `
local P, id, now, cooldown = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local room = redis.call('GET', P .. 'room:' .. id)
if not room then return false end
redis.call('DEL', P .. 'room:' .. id)
redis.call('SREM', P .. 'rooms', id)
local decoded = cjson.decode(room)
local members = decoded.members
for _, m in ipairs(members) do
  if redis.call('GET', P .. 'ur:' .. m.id) == id then redis.call('DEL', P .. 'ur:' .. m.id) end
end
-- Its maker died before announcing it, and a member who resumed it elsewhere ends it before a
-- survivor takes the maker's unannounced rooms: the ender announces it (see Rooms.end).
local unannounced = 0
if decoded.madeBy then unannounced = redis.call('SREM', P .. 'unannounced:' .. decoded.madeBy, id) end
-- Kept until the ender says it told both (TOLD), or a survivor takes it (UNTOLD) if the ender dies first.
local untold = P .. 'untold:' .. ARGV[5]
redis.call('HSET', untold, id, ARGV[6] .. '\\n' .. room)
redis.call('PEXPIRE', untold, 3600000)
if cooldown > 0 then
  for i, m in ipairs(members) do
    local other = members[3 - i]
    local cd = P .. 'cd:' .. m.id
    redis.call('ZREMRANGEBYSCORE', cd, '-inf', now)
    redis.call('ZADD', cd, now + cooldown, other.id)
    redis.call('PEXPIRE', cd, cooldown)
  end
end
return { room, unannounced }
`;

/**
 * Takes a dead process's unannounced rooms that are still live (see WRITE_ROOM), as JSON: each
 * becomes the taker's own unannounced room (its maker, as END reads it, is now the taker) until
 * the taker has announced it. A member can end one meanwhile (it resumed it elsewhere and left):
 * that ender then announces it too, in order with its end, whichever announcement comes first.
 */
const UNANNOUNCED = `
local P, dead, me = ARGV[1], ARGV[2], ARGV[3]
local key = P .. 'unannounced:' .. dead
local mine = P .. 'unannounced:' .. me
local maker = '"madeBy":"' .. dead .. '"'
local rooms = {}
for _, id in ipairs(redis.call('SMEMBERS', key)) do
  local room = redis.call('GET', P .. 'room:' .. id)
  if room then
    -- A plain find: the JSON is rewritten only at the maker, never decoded and encoded again.
    local from, to = string.find(room, maker, 1, true)
    if from then
      room = string.sub(room, 1, from - 1) .. '"madeBy":"' .. me .. '"' .. string.sub(room, to + 1)
      redis.call('SET', P .. 'room:' .. id, room)
    end
    redis.call('SADD', mine, id)
    rooms[#rooms + 1] = room
  end
end
if #rooms > 0 then redis.call('PEXPIRE', mine, 3600000) end
redis.call('DEL', key)
return rooms
`;

/** Takes a dead process's untold endings: each is `reason by` on a line, then the room. */
const UNTOLD = `
local key = ARGV[1] .. 'untold:' .. ARGV[2]
local endings = redis.call('HVALS', key)
redis.call('DEL', key)
return endings
`;

/** A user is engaged when in a live room, or in a ring. */
const ENGAGED = `
local function inRoom(P, user)
  local id = redis.call('GET', P .. 'ur:' .. user)
  return id and redis.call('EXISTS', P .. 'room:' .. id) == 1
end
local function ringing(P, user)
  local id = redis.call('GET', P .. 'rg:' .. user)
  return id and redis.call('EXISTS', P .. 'ring:' .. id) == 1
end
`;

/** ARGV: prefix, ring id, caller id, callee id, ring JSON, ttl (ms). */
const RING = `${ENGAGED}
local P, id, caller, callee = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', P .. 'ring:' .. id) == 1 then return 'taken' end
if inRoom(P, caller) or ringing(P, caller) then return 'caller_busy' end
if inRoom(P, callee) or ringing(P, callee) then return 'busy' end
redis.call('SET', P .. 'ring:' .. id, ARGV[5], 'PX', ARGV[6])
redis.call('SET', P .. 'rg:' .. caller, id, 'PX', ARGV[6])
redis.call('SET', P .. 'rg:' .. callee, id, 'PX', ARGV[6])
return 'ringing'
`;

const RING_OF = `
local id = redis.call('GET', ARGV[1] .. 'rg:' .. ARGV[2])
if not id then return false end
return redis.call('GET', ARGV[1] .. 'ring:' .. id)
`;

/** ARGV: prefix, ring id, and optionally a side ('caller' or 'callee') and the user who must be it. */
const TAKE_RING = `
local P, id, side, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ring = redis.call('GET', P .. 'ring:' .. id)
if not ring then return false end
local r = cjson.decode(ring)
if side and r[side].id ~= user then return false end
redis.call('DEL', P .. 'ring:' .. id)
for _, m in ipairs({ r.caller, r.callee }) do
  if redis.call('GET', P .. 'rg:' .. m.id) == id then redis.call('DEL', P .. 'rg:' .. m.id) end
end
return ring
`;

/** ARGV: prefix, room id, startedAt, initiator member JSON, other member JSON, call id, process. */
const PAIR = `${DEQUEUE}${ENGAGED}${WRITE_ROOM}
local P, roomId, startedAt = ARGV[1], ARGV[2], ARGV[3]
local initiator, other = cjson.decode(ARGV[4]), cjson.decode(ARGV[5])
if inRoom(P, initiator.id) or inRoom(P, other.id) then return false end
dequeue(P, initiator.id)
dequeue(P, other.id)
return writeRoom(P, ARGV[7], roomId, cjson.null, other, initiator, initiator.id, startedAt, nil, ARGV[6])
`;

const WAITING = `
local out = {}
for _, cat in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'cats')) do
  out[#out + 1] = cat
  out[#out + 1] = redis.call('ZCARD', ARGV[1] .. 'q:' .. cat)
end
return out
`;

/** Drops the queue entries a dead process made (those it still owns: a user may have re-queued elsewhere). */
const DROP_QUEUED = `${DEQUEUE}
local P, proc = ARGV[1], ARGV[2]
local users = redis.call('SMEMBERS', P .. 'qp:' .. proc)
local dropped = 0
for _, u in ipairs(users) do
  if redis.call('HGET', P .. 'w:' .. u, 'p') == proc then
    dequeue(P, u)
    dropped = dropped + 1
  end
end
redis.call('DEL', P .. 'qp:' .. proc)
return dropped
`;

export class RedisMatchStore implements MatchStore {
  private readonly scripts: Record<
    | 'join'
    | 'widen'
    | 'block'
    | 'cancel'
    | 'roomOf'
    | 'end'
    | 'untold'
    | 'unannounced'
    | 'waiting'
    | 'dropQueued'
    | 'ring'
    | 'ringOf'
    | 'takeRing'
    | 'pair',
    Script
  >;

  /**
   * @param prefix `{REDIS_PREFIX}:`
   * @param processId this process, recorded on its queue entries so survivors can drop them if it dies
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly processId: string,
    private readonly options: MatchStoreOptions = { rematchCooldownMs: 0 },
  ) {
    this.scripts = {
      join: defineScript(redis, 'stJoin', JOIN),
      widen: defineScript(redis, 'stWiden', WIDEN),
      block: defineScript(redis, 'stBlock', BLOCK),
      cancel: defineScript(redis, 'stCancel', CANCEL),
      roomOf: defineScript(redis, 'stRoomOf', ROOM_OF),
      end: defineScript(redis, 'stEnd', END),
      untold: defineScript(redis, 'stUntold', UNTOLD),
      unannounced: defineScript(redis, 'stUnannounced', UNANNOUNCED),
      waiting: defineScript(redis, 'stWaiting', WAITING),
      dropQueued: defineScript(redis, 'stDropQueued', DROP_QUEUED),
      ring: defineScript(redis, 'stRing', RING),
      ringOf: defineScript(redis, 'stRingOf', RING_OF),
      takeRing: defineScript(redis, 'stTakeRing', TAKE_RING),
      pair: defineScript(redis, 'stPair', PAIR),
    };
  }

  async join(member: Member, categories: readonly string[]): Promise<JoinResult> {
    const memberJson = JSON.stringify(toMember(member));
    const result = (await this.scripts
      .join(
        this.prefix,
        member.id,
        memberJson,
        this.processId,
        Date.now(),
        randomUUID(),
        new Date().toISOString(),
        JSON.stringify(categories),
        JSON.stringify(member.languages),
      )
      .catch(unavailable)) as [string, (string | number)?, string?];
    switch (result[0]) {
      case 'busy':
        return { kind: 'busy', room: parseRoom(String(result[1])) };
      case 'queued':
        return { kind: 'queued', ticket: Number(result[1]) };
      default:
        return {
          kind: 'matched',
          room: parseRoom(String(result[1])),
          waitedMs: Math.max(0, Date.now() - Number(result[2])),
        };
    }
  }

  async widen(userId: string, ticket: number): Promise<WidenResult> {
    const result = (await this.scripts
      .widen(this.prefix, userId, ticket, Date.now(), randomUUID(), new Date().toISOString(), this.processId)
      .catch(unavailable)) as [string, string?, string?];
    switch (result[0]) {
      case 'gone':
        return { kind: 'gone' };
      case 'widened':
        return { kind: 'widened' };
      default:
        return { kind: 'matched', room: parseRoom(result[1]!), waitedMs: Math.max(0, Date.now() - Number(result[2])) };
    }
  }

  async remember(userId: string, shunned: readonly string[]): Promise<void> {
    if (shunned.length === 0) return;
    await this.redis.sadd(`${this.prefix}bl:${userId}`, ...shunned).catch(unavailable);
  }

  async block(a: string, b: string): Promise<void> {
    await this.scripts.block(this.prefix, a, b, 'add').catch(unavailable);
  }

  async unblock(a: string, b: string): Promise<void> {
    await this.scripts.block(this.prefix, a, b, 'remove').catch(unavailable);
  }

  async cancel(userId: string): Promise<boolean> {
    return (await this.scripts.cancel(this.prefix, userId).catch(unavailable)) === 1;
  }

  async roomOf(userId: string): Promise<Room | null> {
    const room = (await this.scripts.roomOf(this.prefix, userId).catch(unavailable)) as string | null;
    return room === null ? null : parseRoom(room);
  }

  async end(roomId: string, ending: RoomEnding): Promise<EndedRoom | null> {
    const ended = (await this.scripts
      .end(
        this.prefix,
        roomId,
        Date.now(),
        this.options.rematchCooldownMs,
        this.processId,
        `${ending.reason} ${ending.by}`,
      )
      .catch(unavailable)) as [string, number] | null;
    return ended === null ? null : { room: parseRoom(ended[0]), unannounced: ended[1] === 1 };
  }

  async announced(roomIds: readonly string[]): Promise<void> {
    await this.redis.srem(`${this.prefix}unannounced:${this.processId}`, ...roomIds).catch(unavailable);
  }

  async unannouncedOf(processId: string): Promise<Room[]> {
    const rooms = (await this.scripts
      .unannounced(this.prefix, processId, this.processId)
      .catch(unavailable)) as string[];
    return rooms.map(parseRoom);
  }

  async told(roomIds: readonly string[]): Promise<void> {
    await this.redis.hdel(`${this.prefix}untold:${this.processId}`, ...roomIds).catch(unavailable);
  }

  async untoldOf(processId: string): Promise<UntoldEnding[]> {
    const endings = (await this.scripts.untold(this.prefix, processId).catch(unavailable)) as string[];
    return endings.map((ending) => {
      const newline = ending.indexOf('\n');
      const [reason, by] = ending.slice(0, newline).split(' ');
      return {
        reason: reason === 'left' ? 'left' : 'disconnected',
        by: by ?? '',
        room: parseRoom(ending.slice(newline + 1)),
      };
    });
  }

  async ring(ring: Ring, ttlMs: number): Promise<RingResult> {
    const json = JSON.stringify({ id: ring.id, caller: toMember(ring.caller), callee: toMember(ring.callee) });
    return (await this.scripts
      .ring(this.prefix, ring.id, ring.caller.id, ring.callee.id, json, Math.max(1, Math.ceil(ttlMs)))
      .catch(unavailable)) as RingResult;
  }

  async ringOf(userId: string): Promise<Ring | null> {
    const json = (await this.scripts.ringOf(this.prefix, userId).catch(unavailable)) as string | null;
    return json === null ? null : parseRing(json);
  }

  async takeRing(ringId: string, by?: RingSide): Promise<Ring | null> {
    const args = by ? [by.side, by.userId] : [];
    const json = (await this.scripts.takeRing(this.prefix, ringId, ...args).catch(unavailable)) as string | null;
    return json === null ? null : parseRing(json);
  }

  async pair(initiator: Member, other: Member, callId: string): Promise<Room | null> {
    const room = (await this.scripts
      .pair(
        this.prefix,
        randomUUID(),
        new Date().toISOString(),
        JSON.stringify(toMember(initiator)),
        JSON.stringify(toMember(other)),
        callId,
        this.processId,
      )
      .catch(unavailable)) as string | null;
    return room === null ? null : parseRoom(room);
  }

  async waitingByCategory(): Promise<Map<string, number>> {
    const flat = (await this.scripts.waiting(this.prefix).catch(unavailable)) as Array<string | number>;
    const counts = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) counts.set(String(flat[i]), Number(flat[i + 1]));
    return counts;
  }

  async counts(): Promise<{ queued: number; rooms: number }> {
    const [queued, rooms] = await Promise.all([
      this.redis.scard(`${this.prefix}waiting`),
      this.redis.scard(`${this.prefix}rooms`),
    ]).catch(unavailable);
    return { queued, rooms };
  }

  /** Drops the queue entries of a process that died; returns how many. */
  async dropQueuedOf(processId: string): Promise<number> {
    return Number(await this.scripts.dropQueued(this.prefix, processId));
  }
}

/** Only the fields a member has: callers may pass a whole user. */
function toMember(m: Member): Member {
  return { id: m.id, displayName: m.displayName, languages: m.languages, bio: m.bio };
}

/** Rooms come back from Lua's cjson, which writes `/` as `\/`: JSON.parse reads it the same. */
function parseRoom(json: string): Room {
  const room = JSON.parse(json) as Room;
  const members: Room['members'] = [storedMember(room.members[0]), storedMember(room.members[1])];
  if (room.widened) return { ...room, category: null, members, widened: true };
  const parsed: Room = {
    id: room.id,
    category: room.category ?? null,
    members,
    initiatorId: room.initiatorId,
    startedAt: room.startedAt,
  };
  return room.callId === undefined ? parsed : { ...parsed, callId: room.callId };
}

function parseRing(json: string): Ring {
  const ring = JSON.parse(json) as Ring;
  return { id: ring.id, caller: storedMember(ring.caller), callee: storedMember(ring.callee) };
}
