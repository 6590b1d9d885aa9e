import type { IceCandidateInit, SessionDescriptionInit } from './webrtc.js';

/**
 * What a Call puts in a `signal` frame's `data` (the server relays it unchanged). One of:
 *
 *   { "description": { "type": "offer" | "answer", "sdp": "v=0…" } }
 *   { "candidate": { "candidate": "candidate:…", "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "…" } }
 *
 * Every description is followed by its candidates, one frame each, as they are gathered
 * (trickle ICE). Anything else in `data` is ignored, so the shapes can grow.
 * `{ "candidate": null }` (end of candidates) is ignored.
 *
 * Coming back into a room with a new peer connection (a page reloaded mid-call, another tab
 * taking over) — the peer's connection still speaks to the one that is gone:
 *
 *   { "reset": "<id>" }       this side started afresh: start yours afresh too
 *   { "resetAck": "<id>" }    done; what follows is the new connection's
 */
export type SignalData =
  { description: SessionDescriptionInit } | { candidate: IceCandidateInit } | { reset: string } | { resetAck: string };

const descriptionTypes = new Set(['offer', 'answer', 'pranswer', 'rollback']);

/** The peer's data as a SignalData, or null if it is neither shape. */
export function parseSignal(data: unknown): SignalData | null {
  if (typeof data !== 'object' || data === null) return null;
  const { description, candidate, reset, resetAck } = data as {
    description?: unknown;
    candidate?: unknown;
    reset?: unknown;
    resetAck?: unknown;
  };
  if (typeof reset === 'string' && reset.length > 0 && reset.length <= 64) return { reset };
  if (typeof resetAck === 'string' && resetAck.length > 0 && resetAck.length <= 64) return { resetAck };
  if (typeof description === 'object' && description !== null) {
    const { type, sdp } = description as { type?: unknown; sdp?: unknown };
    if (typeof type !== 'string' || !descriptionTypes.has(type)) return null;
    if (sdp !== undefined && typeof sdp !== 'string') return null;
    return {
      description:
        sdp === undefined
          ? { type: type as SessionDescriptionInit['type'] }
          : { type: type as SessionDescriptionInit['type'], sdp },
    };
  }
  if (typeof candidate === 'object' && candidate !== null) {
    const c = candidate as Record<string, unknown>;
    if (typeof c.candidate !== 'string') return null;
    const init: IceCandidateInit = { candidate: c.candidate };
    if (typeof c.sdpMid === 'string' || c.sdpMid === null) init.sdpMid = c.sdpMid;
    if (typeof c.sdpMLineIndex === 'number' || c.sdpMLineIndex === null) init.sdpMLineIndex = c.sdpMLineIndex;
    if (typeof c.usernameFragment === 'string' || c.usernameFragment === null)
      init.usernameFragment = c.usernameFragment;
    return { candidate: init };
  }
  return null;
}

/** A local RTCIceCandidate as plain JSON for the wire. */
export function candidateToJson(candidate: {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
  toJSON?: () => unknown;
}): IceCandidateInit {
  const json = (typeof candidate.toJSON === 'function' ? candidate.toJSON() : candidate) as IceCandidateInit;
  const out: IceCandidateInit = { candidate: json.candidate };
  if (json.sdpMid !== undefined) out.sdpMid = json.sdpMid;
  if (json.sdpMLineIndex !== undefined) out.sdpMLineIndex = json.sdpMLineIndex;
  if (json.usernameFragment !== undefined) out.usernameFragment = json.usernameFragment;
  return out;
}
