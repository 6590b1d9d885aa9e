import { quantileOfSorted } from '../test/stats.js';
import type { Target } from './proc.js';

/**
 * Issue 15: `POST /api/auth/password/reset-start` must not tell, by its time, whether an account
 * has the address (the status and body never do). The server does the same statements for both
 * (password-reset.ts); this measures it from outside: members' addresses and unknown ones asked
 * in random interleaved pairs, one request at a time, so each sees the same server.
 */

export const ACCOUNTS_PAIRS = 300;
/** The known address's median within this factor of the unknown one's (both ways). */
export const ACCOUNTS_TARGETS = { medianRatio: 1.1 };
/** Registration is rate limited per address; the bench registers hundreds from one. */
export const ACCOUNTS_SERVER_ENV = { AUTH_RATE_LIMIT_PER_MIN: '100000' };
export const ACCOUNTS_LOAD = `${ACCOUNTS_PAIRS} password-reset requests for members' addresses and as many for unknown ones, interleaved`;

export interface TimingSummary {
  n: number;
  medianMs: number;
  p95Ms: number;
}

export interface AccountsFigures {
  known: TimingSummary;
  unknown: TimingSummary;
  /** known median ÷ unknown median. */
  ratio: number;
  /** Answers other than 202 `{}` (must be 0). */
  odd: number;
}

function summary(samples: number[]): TimingSummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => quantileOfSorted(sorted, q);
  return { n: sorted.length, medianMs: at(0.5), p95Ms: at(0.95) };
}

export async function benchAccounts(
  target: Target,
  say: (line: string) => void,
  pairs = ACCOUNTS_PAIRS,
): Promise<AccountsFigures> {
  const base = `http://127.0.0.1:${target.port}`;
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const run = Date.now().toString(36);

  const members: string[] = [];
  for (let i = 0; i < pairs; i++) {
    const email = `member-${run}-${i}@bench.example`;
    const response = await post('/api/auth/register', {
      email,
      password: 'bench password 1',
      displayName: `Member ${i}`,
    });
    if (response.status !== 201) throw new Error(`register answered ${response.status}: ${await response.text()}`);
    members.push(email);
  }
  // Warm-up: the first requests pay for JIT and statement preparation, for both paths alike.
  for (let i = 0; i < 20; i++)
    await post('/api/auth/password/reset-start', { email: `warm-${run}-${i}@bench.example` });

  const known: number[] = [];
  const unknown: number[] = [];
  let odd = 0;
  const time = async (email: string): Promise<number> => {
    const started = performance.now();
    const response = await post('/api/auth/password/reset-start', { email });
    const text = await response.text();
    const ms = performance.now() - started;
    if (response.status !== 202 || text !== '{}') odd += 1;
    return ms;
  };
  for (let i = 0; i < pairs; i++) {
    const ghost = `nobody-${run}-${i}@bench.example`;
    // Which goes first is drawn each time, so neither path always follows the other.
    if (Math.random() < 0.5) {
      known.push(await time(members[i]!));
      unknown.push(await time(ghost));
    } else {
      unknown.push(await time(ghost));
      known.push(await time(members[i]!));
    }
  }
  const figures: AccountsFigures = { known: summary(known), unknown: summary(unknown), ratio: 0, odd };
  figures.ratio = figures.known.medianMs / figures.unknown.medianMs;
  say(
    `${target.name.padEnd(7)} reset-start: known address median ${figures.known.medianMs.toFixed(2)} ms (p95 ${figures.known.p95Ms.toFixed(2)}), ` +
      `unknown ${figures.unknown.medianMs.toFixed(2)} ms (p95 ${figures.unknown.p95Ms.toFixed(2)}) = ${figures.ratio.toFixed(2)}× ` +
      `(target within ${ACCOUNTS_TARGETS.medianRatio}× either way); answers other than 202 {}: ${odd}`,
  );
  return figures;
}
