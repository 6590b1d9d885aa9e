import type { SignalMessage } from '@small-talk/protocol';

/**
 * Longest `roomId` and `ref` the protocol accepts (`Id` and `Ref` in packages/protocol): repeated
 * here because this check stands in for the schema on the relay's hot path. signal-frame.test.ts
 * holds the two to the same answers.
 */
const MAX_ID_CHARS = 64;

/**
 * A parsed frame as a `signal` the protocol's schema would accept, or null: then the schema
 * itself runs and says what is wrong, word for word as before. Signals are nearly every frame a
 * room sees, and the schema (a discriminated union, then an object whose fields it copies into
 * a new one) costs more than these few property reads. Unknown keys pass, as the schema lets them.
 */
export function signalFrom(json: unknown): SignalMessage | null {
  if (typeof json !== 'object' || json === null) return null;
  const frame = json as Record<string, unknown>;
  if (frame.type !== 'signal' || frame.data === undefined) return null;
  const { roomId, ref } = frame;
  if (typeof roomId !== 'string' || roomId.length === 0 || roomId.length > MAX_ID_CHARS) return null;
  if (ref !== undefined && (typeof ref !== 'string' || ref.length === 0 || ref.length > MAX_ID_CHARS)) return null;
  return frame as SignalMessage;
}
