import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallEndReason, ErrorCode } from '@small-talk/protocol';
import type { FramesSentAway } from '../storage/bus/bus.js';
import type { MatchStore } from '../storage/match/store.js';

/** The reports waiting for a moderator, read from the database on each scrape. */
export type ReportBacklog = () => Promise<{ openReports: number; oldestOpenAt: Date | null }>;

/**
 * Everything /metrics shows. Counters are per process; queue and room gauges read the shared
 * store, report gauges the database, so every process shows the cluster's figure.
 */
export function createMetrics(store: MatchStore, backlog?: ReportBacklog, sentAway?: () => FramesSentAway) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'smalltalk_' });

  const socketsOpen = new Gauge({
    name: 'smalltalk_sockets_open',
    help: 'WebSocket connections open on this process',
    registers: [registry],
  });
  new Gauge({
    name: 'smalltalk_queued_users',
    help: 'Users waiting to be matched',
    registers: [registry],
    async collect() {
      // Shared state unreachable: keep the last value rather than fail the whole scrape.
      const counts = await store.counts().catch(() => null);
      if (counts) this.set(counts.queued);
    },
  });
  new Gauge({
    name: 'smalltalk_rooms_live',
    help: 'Rooms with two members (including members within their resume grace)',
    registers: [registry],
    async collect() {
      const counts = await store.counts().catch(() => null);
      if (counts) this.set(counts.rooms);
    },
  });
  // Each gauge reads the database itself (one indexed query); unreachable, it keeps its last value rather than fail the scrape.
  const readBacklog = () => (backlog?.() ?? Promise.resolve(null)).catch(() => null);
  new Gauge({
    name: 'smalltalk_reports_open',
    help: 'Reports waiting for a moderator',
    registers: [registry],
    async collect() {
      const read = await readBacklog();
      if (read) this.set(read.openReports);
    },
  });
  new Gauge({
    name: 'smalltalk_oldest_open_report_age_seconds',
    help: 'Age of the oldest report waiting for a moderator (the promise: within 24 hours); 0 when none is open',
    registers: [registry],
    async collect() {
      const read = await readBacklog();
      if (read)
        this.set(read.oldestOpenAt === null ? 0 : Math.max(0, (Date.now() - read.oldestOpenAt.getTime()) / 1000));
    },
  });
  const matches = new Counter({
    name: 'smalltalk_matches_total',
    help: 'Pairs matched into a room',
    registers: [registry],
  });
  const widenedMatches = new Counter({
    name: 'smalltalk_widened_matches_total',
    help: 'Of those, pairs matched by two widened searches (join.anyone), without a category',
    registers: [registry],
  });
  const consentRefusals = new Counter({
    name: 'smalltalk_consent_refusals_total',
    help: 'Answers to the age and rules screen that were refused, by reason (underage)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const reports = new Counter({
    name: 'smalltalk_reports_total',
    help: 'Reports filed, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const autoSuspensions = new Counter({
    name: 'smalltalk_auto_suspensions_total',
    help: 'Users suspended automatically because distinct reporters reported them (pending review)',
    registers: [registry],
  });
  const moderationDecisions = new Counter({
    name: 'smalltalk_moderation_decisions_total',
    help: "Moderators' decisions about users, by action (dismiss, warn, suspend, ban, restore)",
    labelNames: ['action'] as const,
    registers: [registry],
  });
  const appealDecisions = new Counter({
    name: 'smalltalk_appeal_decisions_total',
    help: 'Appeals decided, by outcome (upheld, overturned)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const blocks = new Counter({
    name: 'smalltalk_blocks_total',
    help: 'Blocks made (by the block button, a history row, or a report)',
    registers: [registry],
  });
  // Counted in a plain number and handed to the counter when scraped: a prom-client inc() on
  // every relayed frame (label hashing, a result object) cost more than relaying needs.
  let relayedSinceScrape = 0;
  new Counter({
    name: 'smalltalk_frames_relayed_total',
    help: 'signal, chat and typing frames relayed to a peer',
    registers: [registry],
    collect() {
      if (relayedSinceScrape > 0) this.inc(relayedSinceScrape);
      relayedSinceScrape = 0;
    },
  });
  const framesRelayed = {
    inc() {
      relayedSinceScrape += 1;
    },
  };
  // The bus counts in plain numbers (per batch); the counter takes what it added since the last scrape.
  const toldSentAway: FramesSentAway = { link: 0, redis: 0 };
  new Counter({
    name: 'smalltalk_frames_sent_away_total',
    help: 'Frames sent to sockets on other processes, by path: link (a peer link) or redis (PUBLISH or a script)',
    labelNames: ['path'] as const,
    registers: [registry],
    collect() {
      const now = sentAway?.() ?? toldSentAway;
      for (const path of ['link', 'redis'] as const) {
        this.inc({ path }, now[path] - toldSentAway[path]);
        toldSentAway[path] = now[path];
      }
    },
  });
  const errors = new Counter({
    name: 'smalltalk_errors_total',
    help: 'Errors answered to clients, by protocol error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const directCalls = new Counter({
    name: 'smalltalk_direct_calls_total',
    help: 'Calls between friends, by how the ringing ended: answered, or a call_ended reason',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const matchWait = new Histogram({
    name: 'smalltalk_match_wait_seconds',
    help: 'Time the waiting user spent queued before being matched',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });

  return {
    registry,
    socketsOpen,
    matches,
    widenedMatches,
    framesRelayed,
    matchWait,
    consentRefusals,
    blocks,
    reports,
    autoSuspensions,
    moderationDecisions,
    appealDecisions,
    directCall(outcome: 'answered' | CallEndReason) {
      directCalls.inc({ outcome });
    },
    error(code: ErrorCode) {
      errors.inc({ code });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
