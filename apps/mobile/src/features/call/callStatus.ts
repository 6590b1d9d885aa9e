import type { CallState, SocketState } from '@small-talk/client';
import type { RoomEnd } from './useMatch';

/**
 * What the Call screen says about the connection; in English `call-status` shows exactly this
 * text (tests outside this repository read it), other languages their words for it (call.json `status`).
 */
export type CallStatus =
  'connecting' | 'connected' | 'reconnecting' | 'poor network' | 'peer left' | 'could not connect';

export interface CallStatusInputs {
  roomEnd: RoomEnd | null;
  /** No Call could be made (its STUN/TURN servers could not be fetched). */
  callFailed: boolean;
  socket: SocketState;
  call: CallState;
  poorNetwork: boolean;
}

export function callStatus({ roomEnd, callFailed, socket, call, poorNetwork }: CallStatusInputs): CallStatus {
  if (roomEnd === 'peer-left') return 'peer left';
  // The server no longer has the room (we were away too long): nothing can be renegotiated.
  if (roomEnd === 'lost') return 'could not connect';
  if (callFailed) return 'could not connect';
  // Either link breaking is a reconnect to the user: without signaling an ICE restart can't
  // happen, and the room itself waits out the grace on the server.
  if (socket === 'reconnecting' || socket === 'connecting') return 'reconnecting';
  switch (call) {
    case 'reconnecting':
      return 'reconnecting';
    // ICE restarts kept failing, or nothing connected within the SDK's connect timeout (15 s):
    // the peer sees the same on its side, and Next is there.
    case 'failed':
      return 'could not connect';
    case 'connected':
      return poorNetwork ? 'poor network' : 'connected';
    default:
      return 'connecting';
  }
}
