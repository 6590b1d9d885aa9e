import type { IceServer } from './webrtc.js';

/** A call's STUN/TURN settings: the body of GET /api/ice (docs/protocol.md). */
export interface IceConfig {
  iceServers: IceServer[];
  /** The server's process-wide default; a Call in a room uses the room's policy instead (`matched.iceTransportPolicy`). */
  iceTransportPolicy: 'all' | 'relay';
  /** Seconds the TURN credentials in `iceServers` stay valid from when they were fetched. */
  ttl: number;
}

/**
 * Where a call's STUN/TURN settings come from: GET /api/ice with the app's session, through the
 * app's own HTTP client. The SDK calls it before each call, and again when a call's TURN
 * credentials are about to expire. Rejecting fails that step (createCall rejects; a refresh is
 * retried); it never falls back to other settings, which could drop an operator's `relay` policy.
 *
 *   iceServersProvider: async () => (await fetch('/api/ice', { credentials: 'include' })).json()
 */
export type IceServersProvider = () => Promise<IceConfig>;

/** setTimeout takes at most 2^31 - 1 ms; anything longer fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
