import type { IceServersProvider } from './ice.js';
import type { SignalData } from './signal.js';
import type { CallStats } from './stats.js';
import type { IceServer, MediaStreamLike, MediaStreamTrackLike, WebRtcImplementation } from './webrtc.js';

/**
 * - `new`: nothing negotiated yet.
 * - `connecting`: negotiating, ICE checking.
 * - `connected`: media can flow.
 * - `reconnecting`: the path broke (`disconnected` or `failed`); ICE is restarting.
 * - `failed`: nothing connected within connectTimeoutMs of the start, or ICE restarts kept
 *   failing (see maxIceRestarts). No more automatic restarts; restartIce() may still try again,
 *   and a connection that comes late still makes it `connected`.
 * - `closed`: close() was called.
 */
export type CallState = 'new' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

export enum CallEvent {
  /** (state) every change of `state`. */
  State = 'state',
  /** (track, streams) a remote track arrived. */
  Track = 'track',
  /** (stream) the peer's stream, once its first track arrived (show it in the remote video). */
  RemoteStream = 'remoteStream',
  /** (stats) a sample, every statsIntervalMs. */
  Stats = 'stats',
  /** (error, step) a negotiation step failed; the call goes on (a later offer or ICE restart may heal it). */
  Error = 'error',
}

export type CallEventCallbacks = {
  [CallEvent.State]: (state: CallState) => void;
  [CallEvent.Track]: (track: MediaStreamTrackLike, streams: readonly MediaStreamLike[]) => void;
  [CallEvent.RemoteStream]: (stream: MediaStreamLike) => void;
  [CallEvent.Stats]: (stats: CallStats) => void;
  /** `step`: offer, signal, candidate, stats, or ice-servers (a refresh of the STUN/TURN settings failed). */
  [CallEvent.Error]: (error: unknown, step: string) => void;
};

/** How a Call reaches its peer: a room's signaling (Matchmaking.signaling()) or anything alike. */
export interface CallSignaling {
  send(data: SignalData): void;
  onSignal(listener: (data: unknown) => void): () => void;
}

export interface CallOptions {
  webrtc: WebRtcImplementation;
  /** The local camera and microphone. The Call never stops its tracks: the app owns them. Null receives only. */
  localStream: MediaStreamLike | null;
  iceServers?: IceServer[];
  /**
   * `relay`: TURN only, so neither side learns the other's address; `all` (default) allows a
   * direct path. Kept for the whole call, ICE restarts and refreshed TURN credentials included.
   * SmallTalkClient.createCall() sets it from the room (`matched.iceTransportPolicy`). Under
   * `relay` no other candidate is ever sent, whatever the implementation gathers.
   */
  iceTransportPolicy?: 'all' | 'relay';
  /**
   * Never send host candidates that carry a raw IP address (mDNS `.local` names still go), and
   * blank the related address of the others. For implementations without mDNS obfuscation
   * (react-native-webrtc), where a host candidate is the device's private or public address.
   * Browsers obfuscate already. Default false.
   */
  dropRawHostCandidates?: boolean;
  /**
   * Fresh STUN/TURN settings (GET /api/ice through the app). With iceExpiresAt, the Call
   * fetches new TURN credentials before those in iceServers expire and applies them
   * (setConfiguration), so the next ICE gathering, after our restart or the peer's, has valid ones.
   */
  iceServersProvider?: IceServersProvider;
  /** When the TURN credentials in iceServers expire, on the `now` clock (ms). */
  iceExpiresAt?: number;
  /** Credentials are refreshed this long before they expire (at most half their remaining life). */
  iceRefreshMarginMs?: number;
  signaling: CallSignaling;
  /** `!initiator` from `matched`: the polite side yields when both offer at once. */
  polite: boolean;
  /** Sampling period for the `stats` event; 0 turns it off (getStats() still works). */
  statsIntervalMs?: number;
  /** `disconnected` lasting this long restarts ICE. */
  disconnectedRestartMs?: number;
  /** ICE restarts in a row without `connected` before the state is `failed`. */
  maxIceRestarts?: number;
  /** Remote candidates held until there is a remote description. */
  pendingCandidateLimit?: number;
  /** Not `connected` this long after the start: the state is `failed`. 0 waits forever. */
  connectTimeoutMs?: number;
  /**
   * This side comes back into a room it was in with a new peer connection (a page reloaded
   * mid-call, another tab taking over): the peer's connection still speaks to the one that is
   * gone. The Call first asks the peer to start afresh (`reset`, see signal.ts) and ignores the
   * peer's signals until it confirms; SmallTalkClient.createCall() sets it for a rejoined room.
   */
  rejoin?: boolean;
  /** Clock, for tests. */
  now?: () => number;
}
