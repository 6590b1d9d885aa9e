import type { CallState, SocketState } from '@small-talk/client';
import type { RoomEnd } from './useMatch';

/**
 * What the Call screen says about the connection; `call-status` shows exactly this text
 * (tests outside this repository read it).
 */
export type CallStatus = 'connecting' | 'connected' | 'reconnecting' | 'poor network' | 'peer left' | 'could not connect';

export interface CallStatusInputs {
  roomEnd: RoomEnd | null;
  socket: SocketState;
  call: CallState;
  poorNetwork: boolean;
}

export function callStatus({ roomEnd, socket, call, poorNetwork }: CallStatusInputs): CallStatus {
  if (roomEnd === 'peer-left') return 'peer left';
  // The server no longer has the room (we were away too long): nothing can be renegotiated.
  if (roomEnd === 'lost') return 'could not connect';
  // Either link breaking is a reconnect to the user: without signaling an ICE restart can't
  // happen, and the room itself waits out the grace on the server.
  if (socket === 'reconnecting' || socket === 'connecting') return 'reconnecting';
  switch (call) {
    case 'reconnecting':
      return 'reconnecting';
    case 'failed':
      return 'could not connect';
    case 'connected':
      return poorNetwork ? 'poor network' : 'connected';
    default:
      return 'connecting';
  }
}
