import fs from 'node:fs';
import type { RulesResponse } from '@small-talk/protocol';

/**
 * The community rules, read once at start-up from the operator's Markdown file. Its front
 * matter carries `version: <n>`, which the operator raises when the text changes (a rolling
 * restart then asks every user to accept again); `{{minAge}}` in the text becomes MIN_AGE, so
 * the rules never disagree with the age the server checks.
 */
export function loadRules(file: string, minAge: number): Omit<RulesResponse, 'contactEmail'> {
  const source = fs.readFileSync(file, 'utf8');
  const front = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(source);
  const version = front ? /^version:\s*(\d+)\s*$/m.exec(front[1]!) : null;
  const number = version ? Number(version[1]) : NaN;
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new Error(`${file}: the rules need a front matter with "version: <n>" (n ≥ 1) before the text`);
  }
  const text = source.slice(front![0].length).replaceAll('{{minAge}}', String(minAge)).trim();
  return { version: number, minAge, text };
}
