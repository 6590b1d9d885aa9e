import unhomoglyph from 'unhomoglyph';
import { MAX_DISPLAY_NAME_CHARACTERS, MAX_MARKS_IN_A_ROW, withoutUnshowable } from '@small-talk/protocol';

/** Shown for a stored name with nothing showable left in it. */
export const FALLBACK_NAME = 'Guest';

const MARK_RUN = new RegExp(`(\\p{M}{${MAX_MARKS_IN_A_ROW}})\\p{M}+`, 'gu');
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * A stored display name as it may leave the server. Rows written before the input rule (see the
 * protocol's DisplayName) may hold control, bidi or zero-width characters, mark floods or more
 * than 32 characters: they are shown with those removed, never refused, so reading a user can
 * never fail on what an old row holds. New rows already pass the rule and come out unchanged.
 */
export function shownName(stored: string): string {
  const cleaned = withoutUnshowable(stored).normalize('NFC').replace(MARK_RUN, '$1').trim();
  let shown = '';
  let count = 0;
  for (const { segment } of graphemes.segment(cleaned)) {
    if (++count > MAX_DISPLAY_NAME_CHARACTERS) break;
    shown += segment;
  }
  shown = shown.trim();
  return shown === '' ? FALLBACK_NAME : shown;
}

/**
 * What Unicode's confusables table (unhomoglyph) leaves alone but people read as letters in a
 * name: digits and symbols written for the letters they resemble ("m0derat0r", "5upport",
 * "@dmin"), and i, which the table keeps apart from l although it maps I and 1 to l.
 */
const LOOKALIKES: Record<string, string> = {
  i: 'l',
  '!': 'l',
  '|': 'l',
  '0': 'o',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '@': 'a',
  $: 's',
};

/**
 * The words of a name as compared with reserved names: compatibility forms unfolded (fullwidth
 * ＡＤＭＩＮ, ligatures) and accents dropped (NFKD, then no marks), case folded, look-alikes from
 * other scripts and digits mapped to one Latin skeleton (Cyrillic а, "Sma11"), and split on
 * everything that is not a letter or digit (spaces of any kind, dashes, dots).
 */
export function foldedWords(name: string): string[] {
  const skeleton = unhomoglyph(name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()).toLowerCase();
  let mapped = '';
  for (const char of skeleton) mapped += LOOKALIKES[char] ?? char;
  return mapped.split(/[^\p{L}\p{N}]+/u).filter((word) => word !== '');
}

/**
 * The operator's RESERVED_NAMES: names that would pass for the service speaking. A name is
 * refused when some run of its consecutive words, joined, folds to a reserved name: "ADMIN",
 * "аdmin" (Cyrillic а), "Sma11-Talk", "S m a l l T a l k" and "Small Talk Support" are refused,
 * while "Badminton" and "Ad Mina" are not: matching inside words would refuse ordinary names.
 */
export class ReservedNames {
  private readonly reserved: Array<{ name: string; key: string }>;

  constructor(names: readonly string[]) {
    this.reserved = names.map((name) => ({ name, key: foldedWords(name).join('') })).filter((r) => r.key !== '');
  }

  /** The reserved name that `name` passes for, or null. */
  impersonated(name: string): string | null {
    if (this.reserved.length === 0) return null;
    const words = foldedWords(name);
    for (let start = 0; start < words.length; start++) {
      let run = '';
      for (let end = start; end < words.length; end++) {
        run += words[end];
        const hit = this.reserved.find((r) => r.key === run);
        if (hit) return hit.name;
        if (!this.reserved.some((r) => r.key.startsWith(run))) break;
      }
    }
    return null;
  }
}
