/** How the bench prints: its lines, one at a time on stdout, and the units its lines and tables use. */
import { performance } from 'node:perf_hooks';

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Time since `since` (a performance.now()), in seconds. */
export const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
/** Milliseconds, two decimals under 10 and one above; a dash for nothing measured. */
export const ms = (value: number) => (Number.isNaN(value) ? '—' : value < 10 ? value.toFixed(2) : value.toFixed(1));
/** Kilobytes as megabytes. */
export const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
