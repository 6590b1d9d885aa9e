import {
  DEFAULT_CALL_CONNECT_TIMEOUT_MS,
  DEFAULT_DISCONNECTED_RESTART_MS,
  DEFAULT_ICE_REFRESH_MARGIN_MS,
  DEFAULT_ICE_REFRESH_RETRY_MS,
  DEFAULT_MAX_ICE_RESTARTS,
  DEFAULT_PENDING_CANDIDATE_LIMIT,
  DEFAULT_STATS_INTERVAL_MS,
} from '../defaults.js';
import { Emitter } from '../events.js';
import { shareableCandidate, shareableSdp, type CandidatePrivacy } from './candidates.js';
import { MAX_TIMER_MS, type IceServersProvider } from './ice.js';
import { candidateToJson, parseSignal, type SignalData } from './signal.js';
import { summarizeStats, type CallStats, type StatsTotals } from './stats.js';
import type {
  IceCandidateInit,
  IceServer,
  MediaStreamLike,
  MediaStreamTrackLike,
  PeerConnectionLike,
  SessionDescriptionInit,
  WebRtcImplementation,
} from './webrtc.js';

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

type Timer = ReturnType<typeof setTimeout>;

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
  private pc: PeerConnectionLike;
  private _state: CallState = 'new';
  private _remoteStream: MediaStreamLike | null = null;
  private closed = false;

  // Perfect negotiation (names as in the spec's example).
  private makingOffer = false;
  private ignoreOffer = false;
  private isSettingRemoteAnswerPending = false;
  private tracksAdded = false;
  /** Remote signals, applied one after another. */
  private inbound: Promise<void> = Promise.resolve();
  private pendingCandidates: IceCandidateInit[] = [];

  private iceRestarts = 0;
  private disconnectedTimer: Timer | null = null;
  private connectTimer: Timer | null = null;
  /** When the STUN/TURN settings are due for a refresh (`now` clock); never without a provider. */
  private iceRefreshAt = Number.POSITIVE_INFINITY;
  private iceRefreshTimer: Timer | null = null;
  private iceRefreshing: Promise<void> | null = null;
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
  private readonly pcListeners: Array<[string, (event: any) => void]> = [];
  private readonly unsubscribe: () => void;

  constructor(options: CallOptions) {
    super();
    this.options = options;
    this.polite = options.polite;
    this.now = options.now ?? Date.now;
    this.privacy = { policy: options.iceTransportPolicy ?? 'all', dropRawHostCandidates: options.dropRawHostCandidates ?? false };
    this.iceServers = options.iceServers ?? [];
    this.pc = this.openPeerConnection();
    if (options.rejoin) {
      // Before anything of the new connection: the peer starts afresh first, then hears it.
      this.awaitingResetAck = resetId();
      options.signaling.send({ reset: this.awaitingResetAck });
    }
    this.unsubscribe = options.signaling.onSignal((data) => this.receive(data));
    if (!this.polite) this.addLocalTracks();
    const interval = options.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS;
    if (interval > 0) this.statsTimer = setInterval(() => void this.sampleStats(), interval);
    const connectTimeout = options.connectTimeoutMs ?? DEFAULT_CALL_CONNECT_TIMEOUT_MS;
    if (connectTimeout > 0) this.connectTimer = setTimeout(() => this.onConnectTimeout(), Math.min(connectTimeout, MAX_TIMER_MS));
    if (options.iceServersProvider && options.iceExpiresAt !== undefined) this.scheduleIceRefresh(options.iceExpiresAt);
  }

  get state(): CallState {
    return this._state;
  }

  /**
   * The underlying peer connection, for what the Call does not cover (replaceTrack, data
   * channels). A new one when the peer came back into the room with a new connection of its own.
   */
  get peerConnection(): PeerConnectionLike {
    return this.pc;
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
    if (this.closed) return;
    this.iceRestarts = 0;
    if (this._state === 'failed') this.setState('reconnecting');
    this.restartIceWithFreshServers();
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
    this.clearDisconnectedTimer();
    this.clearConnectTimer();
    if (this.iceRefreshTimer) clearTimeout(this.iceRefreshTimer);
    this.iceRefreshTimer = null;
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
    this.unsubscribe();
    for (const [type, listener] of this.pcListeners) this.peerConnection.removeEventListener(type, listener);
    this.pendingCandidates = [];
    this.peerConnection.close();
    this.setState('closed');
  }

  // ---- negotiation ---------------------------------------------------------

  private async onNegotiationNeeded(): Promise<void> {
    if (this.closed) return;
    try {
      this.makingOffer = true;
      // Without arguments: the offer is created and applied in one step, so no remote
      // description can slip in between (the gap the old createOffer() pattern had).
      await this.peerConnection.setLocalDescription();
      this.sendLocalDescription();
    } catch (error) {
      this.report(error, 'offer');
    } finally {
      this.makingOffer = false;
    }
  }

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
    const pc = this.peerConnection;
    if ('description' in signal) {
      const description = signal.description;
      const readyForOffer = !this.makingOffer && (pc.signalingState === 'stable' || this.isSettingRemoteAnswerPending);
      const offerCollision = description.type === 'offer' && !readyForOffer;
      this.ignoreOffer = !this.polite && offerCollision;
      if (this.ignoreOffer) return;
      this.isSettingRemoteAnswerPending = description.type === 'answer';
      try {
        // On a collision (polite side) this rolls our own offer back first.
        await pc.setRemoteDescription(this.toDescription(description));
      } finally {
        this.isSettingRemoteAnswerPending = false;
      }
      if (this.closed) return;
      await this.addPendingCandidates();
      if (description.type === 'offer') {
        // The polite side's tracks go in now, into the transceivers the offer created, so the
        // answer carries them and no second negotiation (or glare) is needed.
        if (!this.tracksAdded) this.addLocalTracks();
        await pc.setLocalDescription();
        this.sendLocalDescription();
      }
      return;
    }
    const candidate = signal.candidate;
    if (!pc.remoteDescription) {
      // A candidate of an offer we ignored belongs to nothing; any other waits for its description.
      if (this.ignoreOffer) return;
      const limit = this.options.pendingCandidateLimit ?? DEFAULT_PENDING_CANDIDATE_LIMIT;
      if (this.pendingCandidates.length < limit) this.pendingCandidates.push(candidate);
      return;
    }
    try {
      await pc.addIceCandidate(this.toCandidate(candidate));
    } catch (error) {
      // Candidates of an offer we ignored fail to apply; that is expected.
      if (!this.ignoreOffer) throw error;
    }
  }

  private async addPendingCandidates(): Promise<void> {
    const candidates = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const candidate of candidates) {
      try {
        await this.peerConnection.addIceCandidate(this.toCandidate(candidate));
      } catch (error) {
        this.report(error, 'candidate');
      }
    }
  }

  /**
   * The peer came back into the room with a new peer connection (`reset`): ours speaks to the
   * one that is gone, so it is replaced by a new one, negotiated from the start as at the
   * beginning of the call (the initiator offers). The peer hears `resetAck` before anything of it.
   */
  private startAfresh(id: string): void {
    for (const [type, listener] of this.pcListeners) this.pc.removeEventListener(type, listener);
    this.pcListeners.length = 0;
    this.pc.close();
    this.clearDisconnectedTimer();
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.isSettingRemoteAnswerPending = false;
    this.tracksAdded = false;
    this.pendingCandidates = [];
    this.statsTotals = null;
    this.iceRestarts = 0;
    this._remoteStream = null;
    this.options.signaling.send({ resetAck: id });
    this.pc = this.openPeerConnection();
    if (this._state === 'connected' || this._state === 'failed') this.setState('reconnecting');
    if (!this.polite) this.addLocalTracks();
  }

  private openPeerConnection(): PeerConnectionLike {
    this.pc = new this.options.webrtc.RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: this.privacy.policy });
    this.listen('negotiationneeded', () => void this.onNegotiationNeeded());
    this.listen('icecandidate', (event: { candidate?: Parameters<typeof candidateToJson>[0] | null }) => this.onLocalCandidate(event.candidate));
    this.listen('connectionstatechange', () => this.onConnectionState());
    if (this.pc.connectionState === undefined) this.listen('iceconnectionstatechange', () => this.onConnectionState());
    this.listen('track', (event: { track: MediaStreamTrackLike; streams?: readonly MediaStreamLike[] }) => this.onTrack(event));
    return this.pc;
  }

  private addLocalTracks(): void {
    this.tracksAdded = true;
    const pc = this.peerConnection;
    const stream = this.options.localStream;
    if (stream) {
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      return;
    }
    // Receive only: the initiator still has to offer audio and video.
    if (!this.polite && pc.addTransceiver) {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
    }
  }

  private sendLocalDescription(): void {
    const description = this.peerConnection.localDescription;
    if (!description || this.closed) return;
    const sdp = shareableSdp(description.sdp, this.privacy);
    this.options.signaling.send({ description: { type: description.type as SessionDescriptionInit['type'], sdp } });
  }

  private onLocalCandidate(candidate: Parameters<typeof candidateToJson>[0] | null | undefined): void {
    // null marks the end of gathering; an empty string is the same in some browsers. Neither needs sending.
    if (!candidate || !candidate.candidate || this.closed) return;
    const json = candidateToJson(candidate);
    const line = shareableCandidate(json.candidate, this.privacy);
    // Withheld: an address the peer must not learn (see candidates.ts). ICE goes on with the rest.
    if (line === null) return;
    this.options.signaling.send({ candidate: { ...json, candidate: line } });
  }

  private toDescription(init: SessionDescriptionInit): unknown {
    const { RTCSessionDescription } = this.options.webrtc;
    return RTCSessionDescription ? new RTCSessionDescription(init) : init;
  }

  private toCandidate(init: IceCandidateInit): unknown {
    const { RTCIceCandidate } = this.options.webrtc;
    return RTCIceCandidate ? new RTCIceCandidate(init) : init;
  }

  // ---- connection state and ICE restarts -----------------------------------

  private onConnectionState(): void {
    if (this.closed) return;
    const pc = this.peerConnection;
    const state = pc.connectionState ?? fromIceConnectionState(pc.iceConnectionState);
    switch (state) {
      case 'connecting':
        if (this._state === 'new') this.setState('connecting');
        return;
      case 'connected':
        this.clearDisconnectedTimer();
        this.clearConnectTimer();
        this.iceRestarts = 0;
        this.setState('connected');
        return;
      case 'disconnected':
        this.setState('reconnecting');
        if (!this.disconnectedTimer) {
          const wait = this.options.disconnectedRestartMs ?? DEFAULT_DISCONNECTED_RESTART_MS;
          this.disconnectedTimer = setTimeout(() => {
            this.disconnectedTimer = null;
            if (!this.closed && currentState(this.peerConnection) === 'disconnected') this.restartAfterFailure();
          }, wait);
        }
        return;
      case 'failed':
        this.clearDisconnectedTimer();
        this.restartAfterFailure();
        return;
    }
  }

  private restartAfterFailure(): void {
    // Given up already: the app has said "could not connect"; only restartIce() tries again.
    if (this._state === 'failed') return;
    const max = this.options.maxIceRestarts ?? DEFAULT_MAX_ICE_RESTARTS;
    if (this.iceRestarts >= max) {
      this.setState('failed');
      return;
    }
    this.iceRestarts += 1;
    this.setState('reconnecting');
    this.restartIceWithFreshServers();
  }

  /**
   * Fires negotiationneeded: an offer with fresh ICE credentials goes out (if both sides
   * restart at once, perfect negotiation settles the glare like any other). A restart gathers
   * new TURN allocations, so TURN credentials due for a refresh are refreshed first (the timer
   * may not have run: a phone asleep in a pocket).
   */
  private restartIceWithFreshServers(): void {
    if (this.now() < this.iceRefreshAt) {
      this.peerConnection.restartIce();
      return;
    }
    void this.refreshIceServers().then(() => {
      if (!this.closed) this.peerConnection.restartIce();
    });
  }

  private onConnectTimeout(): void {
    this.connectTimer = null;
    if (this.closed || this._state === 'connected') return;
    this.setState('failed');
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private clearDisconnectedTimer(): void {
    if (this.disconnectedTimer) clearTimeout(this.disconnectedTimer);
    this.disconnectedTimer = null;
  }

  // ---- STUN/TURN settings --------------------------------------------------

  /** Plans the next refresh for credentials expiring at `expiresAt`: a margin before, at most half their remaining life. */
  private scheduleIceRefresh(expiresAt: number): void {
    const now = this.now();
    const margin = Math.min(this.options.iceRefreshMarginMs ?? DEFAULT_ICE_REFRESH_MARGIN_MS, Math.max(0, (expiresAt - now) / 2));
    this.iceRefreshAt = expiresAt - margin;
    this.setIceRefreshTimer(this.iceRefreshAt - now);
  }

  private setIceRefreshTimer(delayMs: number): void {
    if (this.iceRefreshTimer) clearTimeout(this.iceRefreshTimer);
    this.iceRefreshTimer = setTimeout(() => {
      this.iceRefreshTimer = null;
      void this.refreshIceServers();
    }, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
  }

  /** Fetches fresh settings and applies them; never rejects (a failure is reported and retried). One at a time. */
  private refreshIceServers(): Promise<void> {
    this.iceRefreshing ??= this.fetchIceServers().finally(() => {
      this.iceRefreshing = null;
    });
    return this.iceRefreshing;
  }

  private async fetchIceServers(): Promise<void> {
    const provider = this.options.iceServersProvider;
    if (!provider || this.closed) return;
    const fetchedAt = this.now();
    try {
      const ice = await provider();
      if (this.closed) return;
      // Applies to the next gathering; the current path and its TURN allocation are left alone.
      // The policy stays the call's (the room's), not the process-wide default GET /api/ice answers.
      this.iceServers = ice.iceServers;
      this.peerConnection.setConfiguration?.({ iceServers: ice.iceServers, iceTransportPolicy: this.privacy.policy });
      this.scheduleIceRefresh(fetchedAt + ice.ttl * 1000);
    } catch (error) {
      this.report(error, 'ice-servers');
      if (!this.closed) this.setIceRefreshTimer(DEFAULT_ICE_REFRESH_RETRY_MS);
    }
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

  private listen(type: string, listener: (event: any) => void): void {
    this.pcListeners.push([type, listener]);
    this.peerConnection.addEventListener(type, listener);
  }

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

function currentState(pc: PeerConnectionLike): string | undefined {
  return pc.connectionState ?? fromIceConnectionState(pc.iceConnectionState);
}

/** Old implementations have only iceConnectionState; map it onto connectionState's values. */
function fromIceConnectionState(state: string | undefined): string | undefined {
  if (state === 'checking') return 'connecting';
  if (state === 'completed') return 'connected';
  return state;
}
