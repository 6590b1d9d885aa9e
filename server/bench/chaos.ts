/**
 * Issue 18's chaos, long form: 3 minutes of 600 users matching, relaying and leaving over 3
 * processes on Redis and PostgreSQL, one process killed with SIGKILL (and started again on its
 * port) every 15 s. The driver is the test's (server/test/chaos.ts); cluster-chaos.test.ts runs it
 * for 60 s. The bench prints the counts: the invariants must read 0, the rest say how much
 * happened.
 */
import { CHAOS_DEFAULTS, runChaos, type ChaosReport } from '../test/chaos.js';

export const CHAOS_MS = 180_000;
export const CHAOS_LOAD = `${CHAOS_DEFAULTS.users} users on ${CHAOS_DEFAULTS.processes} processes for ${CHAOS_MS / 60_000} min, one SIGKILL every ${CHAOS_DEFAULTS.killEveryMs / 1000} s`;

export async function benchChaos(say: (line: string) => void, durationMs = CHAOS_MS): Promise<ChaosReport> {
  const report = await runChaos({ ...CHAOS_DEFAULTS, durationMs, say: (line) => say(`chaos  ${line}`) });
  for (const line of report.details) say(`chaos  broke: ${line}`);
  return report;
}

/** One line per figure: what it is, its value, and for an invariant the value it must have. */
export interface ChaosRow {
  figure: string;
  value: string;
  target: string;
  ok?: boolean;
}

export function chaosRows(r: ChaosReport): ChaosRow[] {
  const count = (figure: string, value: number): ChaosRow => ({ figure, value: String(value), target: '' });
  const zero = (figure: string, value: number): ChaosRow => ({
    figure,
    value: String(value),
    target: '0',
    ok: value === 0,
  });
  return [
    {
      figure: `chaos (${r.durationS} s, ${r.users} users, 3 procs): kills / restarts / reclaims`,
      value: `${r.kills} / ${r.restarts} / ${r.reclaims}`,
      target: '',
    },
    count('    rooms formed', r.roomsFormed),
    { figure: '    rooms ended clean / touched', value: `${r.cleanRooms} / ${r.disturbedRooms}`, target: '' },
    { figure: '    signals sent / received', value: `${r.signalsSent} / ${r.signalsReceived}`, target: '' },
    { figure: '    resumed / back after the grace', value: `${r.resumes} / ${r.goneForGood}`, target: '' },
    {
      figure: '    peers told by peer_left / resume / welcome',
      value: `${r.toldByPeerLeft} / ${r.toldByResume} / ${r.toldByWelcome}`,
      target: '',
    },
    {
      figure: '    longest kill → peer told (ms)',
      value: String(r.toldMaxMs),
      target: `≤ ${r.toldLimitMs}`,
      ok: r.toldMaxMs <= r.toldLimitMs,
    },
    count('    signals lost in rooms a kill touched', r.disturbedLost),
    zero('    live processes taken for dead', r.falseDeaths),
    zero('    peers told late / never told', r.toldLate + r.untold),
    zero('    users in two rooms (frames / Redis)', r.twoRooms + r.serverTwoRooms),
    zero('    frames after their room ended / before matched', r.framesAfterEnd + r.framesBeforeMatched),
    zero('    matched twice for one room', r.duplicateMatched),
    zero('    rooms ended whose matched never came', r.matchedNeverCame),
    zero('    signals lost or reordered between live procs', r.cleanLost + r.cleanReordered),
    zero('    rooms back after the peer was told', r.resumedAfterPeerLeft),
    zero('    waiting / rooms / dead queue entries after', r.waitingAfter + r.roomsAfter + r.deadQueueEntries),
    zero(
      '    survivors crashed or unhealthy, restarts pending',
      r.survivorsCrashed + r.unhealthyAtEnd + r.restartsPending,
    ),
    zero('    error lines logged', r.errorLines),
  ];
}
