import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { defineScript, type RedisConnections, type Script } from '../redis.js';

/** A process that has not renewed its lease for this long is taken for dead and its users reclaimed. */
export const LEASE_MS = 3000;

/**
 * A process's place in the cluster: it renews a lease in Redis, telling how many users have a
 * socket on it; a process whose lease ran out is dead, and one other process (whichever removes it
 * first) takes its users over. The message bus renews it on its sweep and owns the users.
 *
 * Keys, after the prefix: procs (ZSET of processes by lease expiry), live (HASH: process → how many
 * users have a socket there), peers (HASH: process → where its peer links are taken, peers.ts); a
 * takeover also moves the bus's on:<user> and users:<process>.
 */

/** Renews the lease and tells the live count; 1 when the process was not registered (new, taken for dead, or Redis lost its data). */
const HEARTBEAT = `
redis.call('HSET', ARGV[1] .. 'live', ARGV[2], ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', ARGV[1] .. 'peers', ARGV[2], ARGV[5]) end
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

/**
 * Takes over a dead process's users, once (ZREM decides who). Returns the ones whose socket was
 * live there: their absence starts now. Those already away keep their deadline.
 */
const RECLAIM = `
local P, dead, me = ARGV[1], ARGV[2], ARGV[3]
if redis.call('ZREM', P .. 'procs', dead) == 0 then return false end
redis.call('HDEL', P .. 'live', dead)
redis.call('HDEL', P .. 'peers', dead)
local lost = {}
for _, u in ipairs(redis.call('SMEMBERS', P .. 'users:' .. dead)) do
  if redis.call('GET', P .. 'on:' .. u) == dead then
    redis.call('SET', P .. 'on:' .. u, me)
    redis.call('SADD', P .. 'users:' .. me, u)
    if not redis.call('ZSCORE', P .. 'graces', u) then lost[#lost + 1] = u end
  end
end
redis.call('DEL', P .. 'users:' .. dead)
-- Every process's cached routes to the dead one go (see redis.ts, the cache).
redis.call('PUBLISH', P .. 'owners', '!' .. dead)
return lost
`;

const LEAVE = `
local P, me = ARGV[1], ARGV[2]
redis.call('ZREM', P .. 'procs', me)
redis.call('HDEL', P .. 'live', me)
redis.call('HDEL', P .. 'peers', me)
redis.call('DEL', P .. 'users:' .. me)
return 0
`;

export class ProcessLease {
  readonly processId = randomUUID();
  private readonly prefix: string;
  private readonly scripts: Record<'heartbeat' | 'connected' | 'reclaim' | 'leave', Script>;
  private registered = false;
  /** Left (draining or closed): no longer renewed, so the process counts as gone for takeovers. */
  private left = false;
  /** When the command connection last became ready: no process is taken for dead until peers had a lease's time to renew. */
  private readySince = Date.now();
  /** Where this process takes peer links (peers.ts), told with each renewal; '' for none. */
  peerAddress = '';

  constructor(
    private readonly redis: RedisConnections,
    private readonly log: Logger,
  ) {
    this.prefix = redis.prefix;
    const c = redis.commands;
    this.scripts = {
      heartbeat: defineScript(c, 'stHeartbeat', HEARTBEAT),
      connected: defineScript(c, 'stConnected', CONNECTED),
      reclaim: defineScript(c, 'stReclaim', RECLAIM),
      leave: defineScript(c, 'stLeave', LEAVE),
    };
  }

  /** True until the process leaves: only then is the lease renewed. */
  get held(): boolean {
    return !this.left;
  }

  /** Redis is back: other processes could not renew meanwhile, so none is taken for dead for a lease's time. */
  reconnected(): void {
    this.readySince = Date.now();
  }

  /**
   * Renews the lease until `now + LEASE_MS`, telling how many users have a socket here. True when
   * it had lapsed: this process was taken for dead, or Redis lost its data, and its users must be
   * announced again.
   */
  async renew(liveUsers: number, now: number): Promise<boolean> {
    const added = await this.scripts.heartbeat(
      this.prefix,
      this.processId,
      now + LEASE_MS,
      liveUsers,
      this.peerAddress,
    );
    const lapsed = added === 1 && this.registered;
    this.registered = true;
    return lapsed;
  }

  /** Takes over every other process whose lease ran out by `now`; `lost` gets the users whose socket was live there. */
  async reclaimExpired(
    now: number,
    lost: (processId: string, userIds: string[], lastAliveAt: number) => Promise<void>,
  ): Promise<void> {
    if (now - this.readySince < LEASE_MS) return;
    const expired = await this.redis.commands.zrangebyscore(`${this.prefix}procs`, '-inf', now, 'WITHSCORES');
    for (let i = 0; i < expired.length; i += 2) {
      const processId = expired[i]!;
      // Its lease ran LEASE_MS past its last renewal: that renewal is the last we know it was alive.
      const lastAliveAt = Number(expired[i + 1]) - LEASE_MS;
      if (processId === this.processId) continue;
      const userIds = (await this.scripts.reclaim(this.prefix, processId, this.processId)) as string[] | null;
      if (userIds === null) continue; // another process took it
      this.log.warn({ processId, users: userIds.length }, 'process lost: reclaiming its users and queue entries');
      await lost(processId, userIds, lastAliveAt);
    }
  }

  /** Where process `processId` takes peer links, while its lease runs; null when it has not said. */
  async peerAddressOf(processId: string): Promise<string | null> {
    return this.redis.commands.hget(`${this.prefix}peers`, processId);
  }

  /** Whether any other process holds a lease now. */
  async othersAlive(): Promise<boolean> {
    const alive = await this.redis.commands.zrangebyscore(`${this.prefix}procs`, Date.now(), '+inf', 'LIMIT', 0, 2);
    return alive.some((processId) => processId !== this.processId);
  }

  /** How many users have a socket on a process whose lease runs (each tells its own count when it renews). */
  async connectedCount(): Promise<number> {
    return Number(await this.scripts.connected(this.prefix, Date.now()));
  }

  /** Leaving, not dying: out of the lease set, with no users for anyone to reclaim. */
  async leave(): Promise<void> {
    this.left = true;
    await this.scripts.leave(this.prefix, this.processId);
  }
}
