import { MAX_FRAME_BYTES, ServerMessage, type ClientMessage } from '@small-talk/protocol';
import { SmallTalkError } from '../errors.js';

/**
 * A frame to send, as text.
 * @throws SmallTalkError `payload_too_large` over MAX_FRAME_BYTES: the server would close the
 *   socket with 1009, and the frame be retried forever.
 */
export function frameText(message: ClientMessage): string {
  const text = JSON.stringify(message);
  if (text.length * 3 > MAX_FRAME_BYTES && utf8Length(text) > MAX_FRAME_BYTES) {
    throw new SmallTalkError('payload_too_large', `a frame may be at most ${MAX_FRAME_BYTES} bytes`);
  }
  return text;
}

/** A received frame checked against the protocol's ServerMessage schema, or why it was dropped. */
export function parseFrame(data: unknown): { message: ServerMessage } | { problem: string } {
  if (typeof data !== 'string') return { problem: 'binary frame' };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { problem: 'frame is not JSON' };
  }
  const parsed = ServerMessage.safeParse(json);
  if (parsed.success) return { message: parsed.data };
  // The issue's path and message only: frames carry SDP, which holds IP addresses.
  const issue = parsed.error.issues[0];
  const type =
    typeof json === 'object' && json !== null && 'type' in json ? String((json as { type: unknown }).type) : '?';
  return {
    problem: `invalid ${type} frame: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema mismatch'}`,
  };
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}
