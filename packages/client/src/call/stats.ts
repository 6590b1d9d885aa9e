import type { StatsReportLike } from './webrtc.js';

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

export interface CallStats {
  /** When the sample was taken (ms since the epoch). */
  timestamp: number;
  /** Round-trip time of the selected candidate pair (currentRoundTripTime), in ms. */
  rttMs: number | null;
  /** Media received, all inbound-rtp streams, in bits per second over the last interval. */
  inboundBitrate: number | null;
  /** Media sent, all outbound-rtp streams, in bits per second over the last interval. */
  outboundBitrate: number | null;
  /**
   * Fraction of inbound packets lost, packetsLost / (packetsLost + packetsReceived) over all
   * inbound-rtp streams: over the last interval when there is one, else since the start.
   */
  packetLoss: number | null;
  /** Types of the selected pair's candidates: `relay` on either side means media goes through TURN. */
  candidatePair: { local: CandidateType | null; remote: CandidateType | null } | null;
}

/** Cumulative counters from one report, kept to compute the next sample's deltas. */
export interface StatsTotals {
  timestamp: number;
  bytesReceived: number;
  bytesSent: number;
  packetsLost: number;
  packetsReceived: number;
}

const candidateTypes = new Set<string>(['host', 'srflx', 'prflx', 'relay']);

/** Reduces a getStats() report to CallStats, using the previous sample's totals for rates. */
export function summarizeStats(
  report: StatsReportLike,
  timestamp: number,
  previous: StatsTotals | null,
): { stats: CallStats; totals: StatsTotals } {
  const totals: StatsTotals = { timestamp, bytesReceived: 0, bytesSent: 0, packetsLost: 0, packetsReceived: 0 };
  let selectedPairId: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a stats entry's fields depend on its `type`, and each platform types them its own way; every read goes through num() or a typeof check.
  let fallbackPair: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a stats entry's fields depend on its `type`, and each platform types them its own way; every read goes through num() or a typeof check.
  report.forEach((stat: any) => {
    switch (stat?.type) {
      case 'inbound-rtp':
        totals.bytesReceived += num(stat.bytesReceived);
        totals.packetsLost += Math.max(0, num(stat.packetsLost)); // negative with duplicates
        totals.packetsReceived += num(stat.packetsReceived);
        break;
      case 'outbound-rtp':
        totals.bytesSent += num(stat.bytesSent);
        break;
      case 'transport':
        if (typeof stat.selectedCandidatePairId === 'string') selectedPairId = stat.selectedCandidatePairId;
        break;
      case 'candidate-pair':
        // Firefox marks the pair `selected`; others only through the transport.
        if (stat.selected === true || (!fallbackPair && stat.nominated === true && stat.state === 'succeeded'))
          fallbackPair = stat;
        break;
    }
  });
  const pair = (selectedPairId !== undefined ? report.get(selectedPairId) : undefined) ?? fallbackPair;

  const seconds = previous ? (timestamp - previous.timestamp) / 1000 : 0;
  const rate = (now: number, before: number | undefined) =>
    before === undefined || seconds <= 0 || now < before ? null : Math.round(((now - before) * 8) / seconds);

  const lost = totals.packetsLost - (previous && previous.packetsLost <= totals.packetsLost ? previous.packetsLost : 0);
  const received =
    totals.packetsReceived -
    (previous && previous.packetsReceived <= totals.packetsReceived ? previous.packetsReceived : 0);
  const packetLoss = lost + received > 0 ? lost / (lost + received) : null;

  const rtt = pair ? pair.currentRoundTripTime : undefined;
  const stats: CallStats = {
    timestamp,
    rttMs: typeof rtt === 'number' ? Math.round(rtt * 1000) : null,
    inboundBitrate: rate(totals.bytesReceived, previous?.bytesReceived),
    outboundBitrate: rate(totals.bytesSent, previous?.bytesSent),
    packetLoss,
    candidatePair: pair
      ? {
          local: candidateType(report.get(pair.localCandidateId)),
          remote: candidateType(report.get(pair.remoteCandidateId)),
        }
      : null,
  };
  return { stats, totals };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a stats entry's fields depend on its `type`, and each platform types them its own way; every read goes through num() or a typeof check.
function candidateType(stat: any): CandidateType | null {
  const type = stat?.candidateType;
  return typeof type === 'string' && candidateTypes.has(type) ? (type as CandidateType) : null;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
