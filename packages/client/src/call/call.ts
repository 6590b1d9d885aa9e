import { DEFAULT_PENDING_CANDIDATE_LIMIT, DEFAULT_STATS_INTERVAL_MS } from '../defaults.js';
import { Emitter } from '../events.js';
import type { CandidatePrivacy } from './candidates.js';
import { ConnectionWatch } from './connection.js';
import { IceRefresh } from './ice-refresh.js';
import { Negotiation, type LocalCandidate } from './negotiation.js';
import { parseSignal, type SignalData } from './signal.js';
import { summarizeStats, type CallStats, type StatsTotals } from './stats.js';
import { CallEvent, type CallEventCallbacks, type CallOptions, type CallState } from './types.js';
import type {
  IceServer,
  MediaStreamLike,
  MediaStreamTrackLike,
  PeerConnectionLike,
  PeerConnectionListener,
} from './webrtc.js';

export { CallEvent, type CallEventCallbacks, type CallOptions, type CallSignaling, type CallState } from './types.js';

/**
 * A 1:1 WebRTC call negotiated with the perfect-negotiation pattern (W3C WebRTC 1.0 §10.7,
 * MDN "Perfect negotiation"). Either side may renegotiate at any time; when both offer at
 * once, the impolite side ignores the peer's offer and the polite side rolls its own back
 * (implicitly, by setRemoteDescription). Remote signals are applied strictly one at a time,
 * in order, so no candidate is ever added before its description.
 *
 * To avoid a glare at the start, the initiator (impolite) adds its tracks at once, which
 * fires negotiationneeded and sends the offer; the polite side adds its tracks when the
 * first offer arrives, before it answers, so one exchange sets up media both ways.
 */
export class Call extends Emitter<CallEventCallbacks> {
  readonly polite: boolean;
  /** The peer connection and its negotiation; both replaced when the peer starts afresh (`reset`). */
  private negotiation: Negotiation;
  private _state: CallState = 'new';
  private _remoteStream: MediaStreamLike | null = null;
  private closed = false;
  /** Remote signals, applied one after another. */
  private inbound: Promise<void> = Promise.resolve();

  private readonly connection: ConnectionWatch;
  /** Fresh STUN/TURN credentials before these expire; null without a provider and an expiry. */
  private readonly iceRefresh: IceRefresh | null;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private statsTotals: StatsTotals | null = null;
  private sampling = false;
  /** The STUN/TURN servers now in use: a peer connection started afresh (reset) gets them too. */
  private iceServers: IceServer[];
  /** The `reset` we sent (rejoin), until the peer confirms it: its signals before that are the old connection's. */
  private awaitingResetAck: string | null = null;

  private readonly options: CallOptions;
  /** What of our candidates the peer may see: the call's policy, for its whole life. */
  private readonly privacy: CandidatePrivacy;
  private readonly now: () => number;
  private readonly pcListeners: Array<[string, PeerConnectionListener]> = [];
  private readonly unsubscribe: () => void;

  constructor(options: CallOptions) {
    super();
    this.options = options;
    this.polite = options.polite;
    this.now = options.now ?? Date.now;
    this.privacy = {
      policy: options.iceTransportPolicy ?? 'all',
      dropRawHostCandidates: options.dropRawHostCandidates ?? false,
    };
    this.iceServers = options.iceServers ?? [];
    this.connection = new ConnectionWatch({
      disconnectedRestartMs: options.disconnectedRestartMs,
      maxIceRestarts: options.maxIceRestarts,
      connectTimeoutMs: options.connectTimeoutMs,
      peerConnection: () => this.peerConnection,
      state: () => this._state,
      setState: (state) => this.setState(state),
      restartIce: () => this.restartIceWithFreshServers(),
    });
    this.negotiation = this.openPeerConnection();
    if (options.rejoin) {
      // Before anything of the new connection: the peer starts afresh first, then hears it.
      this.awaitingResetAck = resetId();
      options.signaling.send({ reset: this.awaitingResetAck });
    }
    this.unsubscribe = options.signaling.onSignal((data) => this.receive(data));
    if (!this.polite) this.negotiation.addLocalTracks();
    const interval = options.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS;
    if (interval > 0) this.statsTimer = setInterval(() => void this.sampleStats(), interval);
    const provider = options.iceServersProvider;
    this.iceRefresh =
      provider && options.iceExpiresAt !== undefined
        ? new IceRefresh(
            {
              provider,
              marginMs: options.iceRefreshMarginMs,
              now: this.now,
              apply: (iceServers) => this.applyIceServers(iceServers),
              report: (error) => this.report(error, 'ice-servers'),
            },
            options.iceExpiresAt,
          )
        : null;
  }

  get state(): CallState {
    return this._state;
  }

  /**
   * The underlying peer connection, for what the Call does not cover (replaceTrack, data
   * channels). A new one when the peer came back into the room with a new connection of its own.
   */
  get peerConnection(): PeerConnectionLike {
    return this.negotiation.pc;
  }

  /** The peer's stream, once a remote track arrived. */
  get remoteStream(): MediaStreamLike | null {
    return this._remoteStream;
  }

  /**
   * Restarts ICE: new candidates and a fresh path, negotiated by a new offer. The Call does it
   * by itself when the connection fails; call it when the app knows the network changed
   * (Wi-Fi to cellular), without waiting for the old path to time out.
   */
  restartIce(): void {
    if (!this.closed) this.connection.restartIce();
  }

  /** One stats sample now (also updates the interval's baseline). */
  async getStats(): Promise<CallStats> {
    const report = await this.peerConnection.getStats();
    const { stats, totals } = summarizeStats(report, this.now(), this.statsTotals);
    this.statsTotals = totals;
    return stats;
  }

  /** Ends the call: closes the peer connection and stops listening. Local tracks stay the app's. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.stop();
    this.iceRefresh?.stop();
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
    this.unsubscribe();
    this.closePeerConnection();
    this.setState('closed');
  }

  // ---- signals ---------------------------------------------------------------

  private receive(data: unknown): void {
    const signal = parseSignal(data);
    if (!signal) return; // not ours: the data channel of signal frames is open to new shapes
    // One at a time, in order: a candidate must never be added before its description.
    this.inbound = this.inbound.then(() => this.apply(signal)).catch((error: unknown) => this.report(error, 'signal'));
  }

  private async apply(signal: SignalData): Promise<void> {
    if (this.closed) return;
    if ('reset' in signal) return this.startAfresh(signal.reset);
    if ('resetAck' in signal) {
      if (signal.resetAck === this.awaitingResetAck) this.awaitingResetAck = null;
      return;
    }
    // Sent to our connection that is gone (before the peer heard our `reset`).
    if (this.awaitingResetAck !== null) return;
    await this.negotiation.apply(signal);
  }

  /**
   * The peer came back into the room with a new peer connection (`reset`): ours speaks to the
   * one that is gone, so it is replaced by a new one, negotiated from the start as at the
   * beginning of the call (the initiator offers). The peer hears `resetAck` before anything of it.
   */
  private startAfresh(id: string): void {
    this.closePeerConnection();
    this.connection.renew();
    this.statsTotals = null;
    this._remoteStream = null;
    this.options.signaling.send({ resetAck: id });
    this.negotiation = this.openPeerConnection();
    if (this._state === 'connected' || this._state === 'failed') this.setState('reconnecting');
    if (!this.polite) this.negotiation.addLocalTracks();
  }

  private openPeerConnection(): Negotiation {
    const pc = new this.options.webrtc.RTCPeerConnection({
      iceServers: this.iceServers,
      iceTransportPolicy: this.privacy.policy,
    });
    const negotiation = new Negotiation(pc, {
      webrtc: this.options.webrtc,
      localStream: this.options.localStream,
      signaling: this.options.signaling,
      polite: this.polite,
      privacy: this.privacy,
      pendingCandidateLimit: this.options.pendingCandidateLimit ?? DEFAULT_PENDING_CANDIDATE_LIMIT,
      report: (error, step) => this.report(error, step),
    });
    const listen = (type: string, listener: PeerConnectionListener) => {
      this.pcListeners.push([type, listener]);
      pc.addEventListener(type, listener);
    };
    listen('negotiationneeded', () => void negotiation.onNegotiationNeeded());
    listen('icecandidate', (event: { candidate?: LocalCandidate | null }) =>
      negotiation.onLocalCandidate(event.candidate),
    );
    listen('connectionstatechange', () => this.connection.onChange());
    if (pc.connectionState === undefined) listen('iceconnectionstatechange', () => this.connection.onChange());
    listen('track', (event: { track: MediaStreamTrackLike; streams?: readonly MediaStreamLike[] }) =>
      this.onTrack(event),
    );
    return negotiation;
  }

  /** Stops listening to the current peer connection and closes it. */
  private closePeerConnection(): void {
    const pc = this.negotiation.pc;
    for (const [type, listener] of this.pcListeners) pc.removeEventListener(type, listener);
    this.pcListeners.length = 0;
    this.negotiation.stop();
    pc.close();
  }

  // ---- ICE restarts and STUN/TURN settings ---------------------------------

  /**
   * Fires negotiationneeded: an offer with fresh ICE credentials goes out (if both sides
   * restart at once, perfect negotiation settles the glare like any other). A restart gathers
   * new TURN allocations, so TURN credentials due for a refresh are refreshed first (the timer
   * may not have run: a phone asleep in a pocket).
   */
  private restartIceWithFreshServers(): void {
    if (!this.iceRefresh?.due) {
      this.peerConnection.restartIce();
      return;
    }
    void this.iceRefresh.refresh().then(() => {
      if (!this.closed) this.peerConnection.restartIce();
    });
  }

  /**
   * Applies to the next gathering; the current path and its TURN allocation are left alone. The
   * policy stays the call's (the room's), not the process-wide default GET /api/ice answers.
   */
  private applyIceServers(iceServers: IceServer[]): void {
    if (this.closed) return;
    this.iceServers = iceServers;
    this.peerConnection.setConfiguration?.({ iceServers, iceTransportPolicy: this.privacy.policy });
  }

  // ---- media and stats -----------------------------------------------------

  private onTrack(event: { track: MediaStreamTrackLike; streams?: readonly MediaStreamLike[] }): void {
    if (this.closed) return;
    const streams = event.streams ?? [];
    this.emit(CallEvent.Track, event.track, streams);
    const stream = streams[0];
    if (stream && stream !== this._remoteStream) {
      this._remoteStream = stream;
      this.emit(CallEvent.RemoteStream, stream);
    }
  }

  private async sampleStats(): Promise<void> {
    if (this.closed || this.sampling) return;
    this.sampling = true;
    try {
      const stats = await this.getStats();
      if (!this.closed) this.emit(CallEvent.Stats, stats);
    } catch (error) {
      this.report(error, 'stats');
    } finally {
      this.sampling = false;
    }
  }

  // ---- helpers ---------------------------------------------------------------

  private report(error: unknown, step: string): void {
    if (!this.closed) this.emit(CallEvent.Error, error, step);
  }

  private setState(state: CallState): void {
    if (this._state === state || this._state === 'closed') return;
    this._state = state;
    this.emit(CallEvent.State, state);
  }
}

/** Names one `reset` so its `resetAck` is recognised; not a secret. */
function resetId(): string {
  return Math.random().toString(36).slice(2, 12) || 'reset';
}
