import { RING_TIMEOUT_MS } from '@small-talk/protocol';

/**
 * Every timing and limit of the SDK, in one place, each with why. Options override them
 * per instance; nothing else in the SDK holds a magic number.
 */

/**
 * Base delays of the reconnect schedule, by retry (0 is the first retry after a drop).
 * Exponential from 250 ms, so four tries land well inside the server's resume grace
 * (RESUME_GRACE_MS, 5 s by default; 2.6 s in all even with full jitter) and a dropped call
 * gets its room back; then slower,
 * so a long outage doesn't hammer the server. Past the end the default policy gives up
 * (about 2 minutes in all) and the socket is `closed`.
 */
export const DEFAULT_RECONNECT_DELAYS_MS: readonly number[] = [
  0, 250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000, 15_000, 15_000, 15_000, 15_000, 15_000,
];

/**
 * Jitter added to each non-zero delay, as a fraction of it (0.5: a 1 s delay becomes 1–1.5 s).
 * After a server restart every client drops at the same moment; jitter spreads their returns.
 * A zero delay gets DEFAULT_FIRST_RETRY_JITTER_MS instead.
 */
export const DEFAULT_RECONNECT_JITTER = 0.5;

/**
 * Jitter of a retry whose base delay is 0 (the first after a drop, and the one at once after close
 * 1012): a random 0–250 ms, as livekit's client does. A draining server (close 1012) closes all
 * its sockets in the same moment, and without it every one of its clients would come back in the
 * same millisecond; 250 ms spreads them and costs a resuming call almost nothing of its grace.
 */
export const DEFAULT_FIRST_RETRY_JITTER_MS = 250;

/** How long a socket may take from `new WebSocket` to the server's `welcome` before the try counts as failed. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * After a reconnect, how long to wait for `matched` (resumed) once `welcome` came, before the
 * room is taken as lost. The server writes both frames back to back, so this only covers a
 * slow network splitting them.
 */
export const DEFAULT_RESUME_WAIT_MS = 2_000;

/**
 * Signal and chat frames kept while the socket is away, sent in order once the room resumes.
 * The server holds at most 100 frames for an absent user; a call's own backlog while
 * reconnecting is a few descriptions and candidates.
 */
export const DEFAULT_OUTBOX_LIMIT = 200;

/**
 * Signals for the room received before the app created its Call (the initiator's offer can
 * arrive while the other side still waits for its camera); replayed to the Call in order.
 */
export const DEFAULT_EARLY_SIGNAL_LIMIT = 500;

/** Remote ICE candidates held until a remote description exists to apply them to. */
export const DEFAULT_PENDING_CANDIDATE_LIMIT = 200;

/** How often a Call samples getStats() and emits `stats`; 0 turns sampling off. */
export const DEFAULT_STATS_INTERVAL_MS = 2_000;

/**
 * How long the peer connection may stay `disconnected` before the Call restarts ICE.
 * `disconnected` often heals by itself within a second or two (a Wi-Fi hiccup); waiting a
 * little avoids a needless renegotiation, and restarting beats waiting for `failed` (~30 s).
 */
export const DEFAULT_DISCONNECTED_RESTART_MS = 3_000;

/** ICE restarts in a row without reaching `connected` before the Call reports `failed`. */
export const DEFAULT_MAX_ICE_RESTARTS = 3;

/**
 * A Call that has not connected this long after it began is `failed`, so the app can say the
 * call could not connect instead of showing "connecting" forever (a TURN server refusing the
 * credentials, a firewall dropping everything). Calls connect in about a second, through TURN
 * too, and in a few on a slow network; the browser itself can take 30 s or more to give up.
 * A connection that comes later still turns the Call `connected`.
 */
export const DEFAULT_CALL_CONNECT_TIMEOUT_MS = 15_000;

/**
 * TURN credentials are refreshed this long before they expire (or at half their lifetime when
 * that is shorter), so an ICE restart, ours or the peer's, gathers relay candidates with valid
 * ones: an expired username gets 401 from the TURN server and the call loses its relay.
 */
export const DEFAULT_ICE_REFRESH_MARGIN_MS = 5 * 60_000;

/** After a failed refresh of the ICE servers (the network is down), the next try comes this much later. */
export const DEFAULT_ICE_REFRESH_RETRY_MS = 30_000;

/**
 * How long a direct call may ring with no word from the server before the SDK drops it as
 * `no_answer`: an incoming call neither answered nor ended, an outgoing one neither confirmed
 * nor ended. The server ends every ring after RING_TIMEOUT_MS (30 s) with `call_ended`; the
 * 5 s margin covers a slow network, so this only fires when that frame never comes (the
 * server process holding the ring went away) and the app would otherwise ring forever.
 */
export const DEFAULT_RING_TIMEOUT_MS = RING_TIMEOUT_MS + 5_000;
