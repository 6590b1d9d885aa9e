/**
 * One pass over a frame's raw text before JSON.parse sees it: how deep it nests, and where its
 * top-level `type` and `data` values lie. JSON.parse and the schema walk a value recursively,
 * and the relay used to serialise `data` again, so a frame nested thousands deep cost far more
 * than its size and could overflow the stack on the way out. This scan costs one comparison per
 * character outside strings (strings are skipped with indexOf) and allocates nothing but its
 * result, so the server can refuse such a frame for less than the frame cost to send.
 *
 * The scan does not validate: on text that is not JSON its spans mean nothing, and JSON.parse,
 * which runs next, rejects the frame. On valid JSON they are exact.
 */

/** The frame's own object is level 1, so `data` may nest 31 levels of its own. */
export const MAX_FRAME_DEPTH = 32;

/**
 * At most this many values (opening brackets, commas and colons, as `structure` counts them) in
 * one frame. JSON.parse spends its time building values: 64 KiB of `[],` takes about 2 ms, long
 * enough to delay every other user's frames, while real frames hold a few dozen (an SDP is one
 * string). Refused before parsing, like a frame too deep.
 */
export const MAX_FRAME_VALUES = 4096;

export interface FrameShape {
  /** The top-level `type` value's span, quotes included; -1 when there is none. The last one, as JSON.parse keeps the last. */
  typeStart: number;
  typeEnd: number;
  /** The top-level `data` value's span, as the sender wrote it (no surrounding whitespace); -1 when there is none. */
  dataStart: number;
  dataEnd: number;
  /**
   * Opening brackets, commas and colons outside strings: roughly the values JSON.parse will
   * build. What a frame costs to parse grows with these, not with its bytes (64 KiB of `[],`
   * takes fifty times as long as 64 KiB of string), so the byte budget charges for them too.
   */
  structure: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

const OTHER = 0;
const TYPE = 1;
const DATA = 2;

/**
 * The shape of `text`, or null when it nests deeper than `maxDepth` (the scan stops there).
 * `into` is filled and returned instead of a new object: the relay scans every frame and reads
 * the shape before the next one arrives, so one object serves them all.
 */
export function scanFrame(text: string, maxDepth = MAX_FRAME_DEPTH, into?: FrameShape): FrameShape | null {
  const shape: FrameShape = into ?? { typeStart: -1, typeEnd: -1, dataStart: -1, dataEnd: -1, structure: 0 };
  shape.typeStart = shape.typeEnd = shape.dataStart = shape.dataEnd = -1;
  shape.structure = 0;
  const length = text.length;
  let depth = 0;
  let topIsObject = false;
  // Inside the top-level object: whether the next string is a key, which key's value we are
  // in, where that value began, and where the last character that was not whitespace ended.
  let expectKey = false;
  let member = OTHER;
  let valueStart = -1;
  let lastEnd = 0;

  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === LF || c === CR || c === TAB) continue;
    if (c === QUOTE) {
      const close = closingQuote(text, i);
      if (close === -1) return shape; // unterminated: JSON.parse refuses it
      if (depth === 1 && topIsObject) {
        if (expectKey) {
          member = keyOf(text, i, close);
          expectKey = false;
        } else if (valueStart === -1) {
          valueStart = i;
        }
      }
      lastEnd = close + 1;
      i = close;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth === 1 && valueStart === -1) valueStart = i;
      depth += 1;
      shape.structure += 1;
      if (depth > maxDepth) return null;
      if (depth === 1) {
        topIsObject = c === OPEN_BRACE;
        expectKey = topIsObject;
      }
      lastEnd = i + 1;
      continue;
    }
    if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
      // The top-level object closes: its last member's value ended before this brace.
      if (depth === 0 && topIsObject) record(shape, member, valueStart, lastEnd);
      lastEnd = i + 1;
      continue;
    }
    if (c === COMMA || c === COLON) shape.structure += 1;
    if (depth === 1 && topIsObject) {
      if (c === COMMA) {
        record(shape, member, valueStart, lastEnd);
        member = OTHER;
        valueStart = -1;
        expectKey = true;
        continue;
      }
      if (c === COLON) continue;
      if (valueStart === -1) valueStart = i;
    }
    lastEnd = i + 1;
  }
  return shape;
}

function record(shape: FrameShape, member: number, valueStart: number, valueEnd: number): void {
  if (member === TYPE) {
    shape.typeStart = valueStart;
    shape.typeEnd = valueEnd;
  } else if (member === DATA) {
    shape.dataStart = valueStart;
    shape.dataEnd = valueEnd;
  }
}

/** Whether the frame's `type` is one of `types`, read from the span the scan found. */
export function typeIs(text: string, shape: FrameShape, types: readonly string[]): boolean {
  if (shape.typeStart === -1 || text.charCodeAt(shape.typeStart) !== QUOTE) return false;
  const inner = text.slice(shape.typeStart + 1, shape.typeEnd - 1);
  if (!inner.includes('\\')) return types.includes(inner);
  // Escapes ("sign\u0061l") mean the same to JSON.parse, so they must here.
  const type = decodeString(text.slice(shape.typeStart, shape.typeEnd));
  return type !== null && types.includes(type);
}

/** Index of the quote that closes the string opening at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  let at = open + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote === -1) return -1;
    // A quote is escaped when an odd number of backslashes precede it. Each run of backslashes
    // is walked once, so the scan stays linear whatever the string holds.
    let before = quote - 1;
    while (text.charCodeAt(before) === BACKSLASH) before -= 1;
    if ((quote - 1 - before) % 2 === 0) return quote;
    at = quote + 1;
  }
}

/** Which top-level key the string at [open, close] is. */
function keyOf(text: string, open: number, close: number): number {
  const length = close - open - 1;
  if (length === 4) {
    if (text.startsWith('type', open + 1)) return TYPE;
    if (text.startsWith('data', open + 1)) return DATA;
  }
  if (length < 4) return OTHER;
  // An escaped key ("d\u0061ta") is rare but means the same to JSON.parse, so decode it.
  for (let i = open + 1; i < close; i++) {
    if (text.charCodeAt(i) === BACKSLASH) {
      const key = decodeString(text.slice(open, close + 1));
      return key === 'type' ? TYPE : key === 'data' ? DATA : OTHER;
    }
  }
  return OTHER;
}

/** A JSON string literal's value; null for a bad escape, which JSON.parse of the frame refuses too. */
function decodeString(literal: string): string | null {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return null;
  }
}
