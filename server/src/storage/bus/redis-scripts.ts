/**
 * The bus's Lua scripts (see redis.ts for what each is for and when it runs). Each runs
 * atomically; none runs per frame while a sender's route to the owner holds.
 *
 * Channel messages, one letter then fields on lines: s(equenced frame) user envelope,
 * b(atch) then per frame a newline, the user, a newline, the envelope's length, a newline and the
 * envelope (redis.ts: flush), d(eliver) user item (a frame outside any stream), m(oved) user to,
 * h(andoff) user then one `sender seq` line per stream, r(eleased) user. An envelope is
 * `#sender seq prev`, a newline, then the item (redis.ts: encodeItem). On `owners`: `user` a
 * newline and its new owner (empty: none), `!process` (lost), or `*` (every route). A process of
 * an older version, mid-upgrade, drops a `b` it does not know: those frames are lost to its users.
 */
export const DELIVER = `
local P, user, me = ARGV[1], ARGV[2], ARGV[3]
local owner = redis.call('GET', P .. 'on:' .. user)
if not owner then return -1 end
if owner ~= me and redis.call('PUBLISH', P .. 'p:' .. owner, 's\\n' .. user .. '\\n' .. ARGV[4]) > 0 then return owner end
if ARGV[7] then
  local states = P .. 'states:' .. user
  redis.call('HSET', states, ARGV[7], ARGV[4])
  redis.call('PEXPIRE', states, ARGV[6])
  return 0
end
local held = P .. 'held:' .. user
if redis.call('LLEN', held) > tonumber(ARGV[5]) then return -2 end
local len = redis.call('RPUSH', held, ARGV[4])
redis.call('PEXPIRE', held, ARGV[6])
return len
`;

/**
 * The owner holds a frame that reached its channel for a user with no socket here (see onMessage).
 * Nobody owns the user any more (released, or its grace claimed: no socket and no room): the frame
 * is for a room that is over, and a list made now would outlive everything else of the user.
 */
export const PUSH = `
if redis.call('EXISTS', ARGV[1] .. 'on:' .. ARGV[2]) == 0 then return 0 end
if ARGV[6] then
  local states = ARGV[1] .. 'states:' .. ARGV[2]
  redis.call('HSET', states, ARGV[6], ARGV[3])
  redis.call('PEXPIRE', states, ARGV[5])
  return 0
end
local held = ARGV[1] .. 'held:' .. ARGV[2]
if redis.call('LLEN', held) > tonumber(ARGV[4]) then return -2 end
local len = redis.call('RPUSH', held, ARGV[3])
redis.call('PEXPIRE', held, ARGV[5])
return len
`;

/** Returns 0 when the previous owner is alive and will hand over; else the held items and states, taken. */
export const ATTACH = `
local P, user, me = ARGV[1], ARGV[2], ARGV[3]
local key = P .. 'on:' .. user
local old = redis.call('GET', key)
redis.call('SET', key, me)
redis.call('SADD', P .. 'users:' .. me, user)
redis.call('ZREM', P .. 'graces', user)
if old and old ~= me then
  redis.call('SREM', P .. 'users:' .. old, user)
  redis.call('PUBLISH', P .. 'owners', user .. '\\n' .. me)
  if redis.call('PUBLISH', P .. 'p:' .. old, 'm\\n' .. user .. '\\n' .. me) > 0 then return 0 end
end
local held, states = P .. 'held:' .. user, P .. 'states:' .. user
local taken = {redis.call('LRANGE', held, 0, -1), redis.call('HVALS', states)}
redis.call('DEL', held, states)
return taken
`;

export const DRAIN = `
local held, states = ARGV[1] .. 'held:' .. ARGV[2], ARGV[1] .. 'states:' .. ARGV[2]
local taken = {redis.call('LRANGE', held, 0, -1), redis.call('HVALS', states)}
redis.call('DEL', held, states)
return taken
`;

/**
 * Puts back, in front and in order, what a socket that closed while attaching could not take:
 * ARGV[5] frames, then state key and item pairs. A state held since is newer, so it stays.
 */
export const PREPEND = `
local P, user, me, frames = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[5])
local owner = redis.call('GET', P .. 'on:' .. user)
if owner == me then
  local held, states = P .. 'held:' .. user, P .. 'states:' .. user
  for i = 5 + frames, 6, -1 do redis.call('LPUSH', held, ARGV[i]) end
  for i = 6 + frames, #ARGV, 2 do redis.call('HSETNX', states, ARGV[i], ARGV[i + 1]) end
  redis.call('PEXPIRE', held, ARGV[4])
  redis.call('PEXPIRE', states, ARGV[4])
elseif owner then
  -- The items carry their state key: the owner holds them as states again.
  for i = 6, 5 + frames do redis.call('PUBLISH', P .. 'p:' .. owner, 's\\n' .. user .. '\\n' .. ARGV[i]) end
  for i = 7 + frames, #ARGV, 2 do redis.call('PUBLISH', P .. 'p:' .. owner, 's\\n' .. user .. '\\n' .. ARGV[i]) end
end
return 0
`;

export const AWAIT_RETURN = `
local P, user, me = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', P .. 'on:' .. user) ~= me then return 0 end
redis.call('ZADD', P .. 'graces', ARGV[4], user)
return 1
`;

export const CLAIM = `
local P, user, me = ARGV[1], ARGV[2], ARGV[3]
local deadline = redis.call('ZSCORE', P .. 'graces', user)
if not deadline then return 0 end
if ARGV[4] == '1' and tonumber(deadline) > tonumber(ARGV[5]) then return 0 end
redis.call('ZREM', P .. 'graces', user)
local owner = redis.call('GET', P .. 'on:' .. user)
if owner then
  redis.call('DEL', P .. 'on:' .. user)
  redis.call('SREM', P .. 'users:' .. owner, user)
  redis.call('PUBLISH', P .. 'owners', user .. '\\n')
  if owner ~= me then redis.call('PUBLISH', P .. 'p:' .. owner, 'r\\n' .. user) end
end
redis.call('DEL', P .. 'held:' .. user, P .. 'states:' .. user)
return 1
`;

export const RELEASE = `
local P, user, me = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', P .. 'on:' .. user) ~= me then return 0 end
redis.call('DEL', P .. 'on:' .. user, P .. 'held:' .. user, P .. 'states:' .. user)
redis.call('SREM', P .. 'users:' .. me, user)
redis.call('ZREM', P .. 'graces', user)
redis.call('PUBLISH', P .. 'owners', user .. '\\n')
return 1
`;

export const HOLD = `
if redis.call('SET', ARGV[1] .. 'on:' .. ARGV[2], ARGV[3], 'NX') then redis.call('SADD', ARGV[1] .. 'users:' .. ARGV[3], ARGV[2]) end
return 0
`;

/** Says again that this process owns its live users (after Redis lost its data, or took us for dead). */
export const REANNOUNCE = `
local P, me = ARGV[1], ARGV[2]
for i = 3, #ARGV do
  redis.call('SET', P .. 'on:' .. ARGV[i], me)
  redis.call('SADD', P .. 'users:' .. me, ARGV[i])
  redis.call('ZREM', P .. 'graces', ARGV[i])
end
redis.call('PUBLISH', P .. 'owners', '*')
return 0
`;

export type ScriptName =
  'deliver' | 'push' | 'attach' | 'drain' | 'prepend' | 'awaitReturn' | 'claim' | 'release' | 'hold' | 'reannounce';
