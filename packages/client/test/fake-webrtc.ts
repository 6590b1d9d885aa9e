import type {
  CallSignaling,
  IceCandidateInit,
  PeerConnectionConfig,
  SignalData,
  StatsReportLike,
} from '../src/index.js';
import type { PeerConnectionListener as Listener } from '../src/call/webrtc.js';

/**
 * A fake RTCPeerConnection that follows the parts of the spec perfect negotiation depends on,
 * and nothing more:
 * - every setLocalDescription / setRemoteDescription / addIceCandidate runs on one operations
 *   chain, each taking at least a task (so offers can cross, as on a network);
 * - signaling states stable / have-local-offer / have-remote-offer; parameterless
 *   setLocalDescription makes an offer or an answer; setRemoteDescription(offer) in
 *   have-local-offer rolls back implicitly; an answer or a rollback in the wrong state throws
 *   InvalidStateError;
 * - addIceCandidate throws without a remote description, and for a candidate whose ufrag is
 *   not the remote description's;
 * - negotiationneeded fires (as a task, only when stable and the chain is empty) while a local
 *   track is not in the current local description or restartIce() is pending; an offer made
 *   after restartIce() has a fresh ufrag, and so does the answer to such an offer;
 * - candidates are "gathered" after each fresh ufrag: `gathers` (two raw host candidates unless
 *   a test sets it), then the null end. Like a browser, `iceTransportPolicy: 'relay'` gathers
 *   only relay candidates, unless `ignoresPolicy` (an implementation the SDK must not trust);
 * - connectionState goes connecting → connected once stable with a remote candidate of the
 *   current remote ufrag; tests break it with setConnectionState(), and a `failed` path
 *   comes back only with new remote credentials (an ICE restart).
 * The SDP is JSON: { pc, ufrag, kinds, tracks }.
 */

type Desc = { type: 'offer' | 'answer'; sdp: string };
export type FakeCandidate = { type: 'host' | 'srflx' | 'relay'; address: string; relatedAddress?: string };
type FakeSdp = {
  pc: number;
  ufrag: string;
  kinds: string[];
  tracks: Array<{ id: string; kind: string; streamId: string }>;
};

export class FakeTrack {
  constructor(
    readonly id: string,
    readonly kind: string,
  ) {}
}

export class FakeStream {
  private readonly tracks: FakeTrack[];
  constructor(
    readonly id: string,
    tracks: FakeTrack[] = [],
  ) {
    this.tracks = [...tracks];
  }
  getTracks(): FakeTrack[] {
    return [...this.tracks];
  }
  addTrack(track: FakeTrack): void {
    this.tracks.push(track);
  }
}

/** A camera and a microphone. */
export function fakeMedia(name: string): FakeStream {
  return new FakeStream(`${name}-stream`, [
    new FakeTrack(`${name}-audio`, 'audio'),
    new FakeTrack(`${name}-video`, 'video'),
  ]);
}

let pcIds = 0;
let ufrags = 0;
const task = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class FakePeerConnection {
  static readonly instances: FakePeerConnection[] = [];
  readonly id = ++pcIds;
  signalingState: 'stable' | 'have-local-offer' | 'have-remote-offer' | 'closed' = 'stable';
  connectionState: 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed' = 'new';
  /** Every call and completion, in order: "call addIceCandidate", "done SRD offer", "rollback", … */
  readonly log: string[] = [];
  readonly addedCandidates: IceCandidateInit[] = [];
  /** Extra time setRemoteDescription takes (a slow device). */
  srdDelayMs = 0;
  /** Extra time setLocalDescription takes (creating an offer on a slow device). */
  sldDelayMs = 0;
  rollbacks = 0;
  restartIceCalls = 0;
  /** Every setConfiguration() since the constructor's, in order. */
  readonly configurations: PeerConnectionConfig[] = [];
  statsReport: Map<string, Record<string, unknown>> = new Map();
  /** What gathering finds, each with the address its candidate names. */
  gathers: FakeCandidate[] = [
    { type: 'host', address: '127.0.0.1' },
    { type: 'host', address: '127.0.0.1' },
  ];
  /** Gathers every kind in `gathers` even under `relay`. */
  ignoresPolicy = false;

  private currentLocal: Desc | null = null;
  private pendingLocal: Desc | null = null;
  private currentRemote: Desc | null = null;
  private pendingRemote: Desc | null = null;
  private ops: Promise<unknown> = Promise.resolve();
  private opsRunning = 0;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly localTracks: Array<{ track: FakeTrack; stream: FakeStream | undefined }> = [];
  private readonly recvKinds: string[] = [];
  private ufrag: string | null = null;
  /** ufrag before the pending local offer, restored by a rollback. */
  private ufragBeforeOffer: string | null = null;
  private offerRestartedIce = false;
  private restartPending = false;
  private negotiationQueued = false;
  private readonly remoteStreams = new Map<string, FakeStream>();
  private readonly remoteTrackIds = new Set<string>();
  /** The remote ufrag of a path that failed: only an ICE restart (a new one) connects again. */
  private deadRemoteUfrag: string | null = null;

  constructor(readonly config: PeerConnectionConfig) {
    FakePeerConnection.instances.push(this);
  }

  get localDescription(): Desc | null {
    return this.pendingLocal ?? this.currentLocal;
  }

  get remoteDescription(): Desc | null {
    return this.pendingRemote ?? this.currentRemote;
  }

  /** The ufrag of the current (or pending) local description. */
  get localUfrag(): string | null {
    return this.localDescription ? parse(this.localDescription).ufrag : null;
  }

  get remoteUfrag(): string | null {
    return this.remoteDescription ? parse(this.remoteDescription).ufrag : null;
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }

  addTrack(track: FakeTrack, stream?: FakeStream): { track: FakeTrack } {
    this.assertOpen();
    this.log.push(`addTrack ${track.kind}`);
    this.localTracks.push({ track, stream });
    this.updateNegotiationNeeded();
    return { track };
  }

  addTransceiver(kind: string): object {
    this.assertOpen();
    this.recvKinds.push(kind);
    this.updateNegotiationNeeded();
    return {};
  }

  setConfiguration(config: PeerConnectionConfig): void {
    this.assertOpen();
    this.log.push('setConfiguration');
    this.configurations.push(config);
  }

  restartIce(): void {
    this.restartIceCalls += 1;
    this.log.push('restartIce');
    this.restartPending = true;
    this.updateNegotiationNeeded();
  }

  setLocalDescription(description?: { type: string }): Promise<void> {
    this.log.push(`call SLD ${description?.type ?? 'implicit'}`);
    return this.chain(async () => {
      await (this.sldDelayMs > 0 ? sleep(this.sldDelayMs) : task());
      this.assertOpen();
      if (description?.type === 'rollback') {
        if (this.signalingState !== 'have-local-offer')
          throw new DOMException('nothing to roll back', 'InvalidStateError');
        this.rollBack();
        return;
      }
      const type = description?.type ?? (this.signalingState === 'have-remote-offer' ? 'answer' : 'offer');
      if (type === 'offer') {
        if (this.signalingState !== 'stable' && this.signalingState !== 'have-local-offer') {
          throw new DOMException(`cannot offer in ${this.signalingState}`, 'InvalidStateError');
        }
        const fresh = this.ufrag === null || this.restartPending;
        this.ufragBeforeOffer = this.ufrag;
        this.offerRestartedIce = fresh && this.ufrag !== null;
        if (fresh) this.ufrag = `u${++ufrags}`;
        this.restartPending = false;
        this.pendingLocal = { type: 'offer', sdp: this.sdp(null) };
        this.signalingState = 'have-local-offer';
        this.log.push(`done SLD offer ${this.ufrag}`);
        if (fresh) this.gather();
        return;
      }
      if (this.signalingState !== 'have-remote-offer' || !this.pendingRemote) {
        throw new DOMException(`cannot answer in ${this.signalingState}`, 'InvalidStateError');
      }
      const offer = parse(this.pendingRemote);
      const previousRemoteUfrag = this.currentRemote ? parse(this.currentRemote).ufrag : null;
      // An offer that restarts ICE gets an answer with fresh credentials too.
      const fresh = this.ufrag === null || (previousRemoteUfrag !== null && offer.ufrag !== previousRemoteUfrag);
      if (fresh) {
        this.ufrag = `u${++ufrags}`;
        this.restartPending = false;
      }
      this.currentRemote = this.pendingRemote;
      this.pendingRemote = null;
      this.currentLocal = { type: 'answer', sdp: this.sdp(offer.kinds) };
      this.pendingLocal = null;
      this.signalingState = 'stable';
      this.log.push(`done SLD answer ${this.ufrag}`);
      if (fresh) this.gather();
      this.maybeConnect();
    });
  }

  setRemoteDescription(description: { type: string; sdp?: string }): Promise<void> {
    this.log.push(`call SRD ${description.type}`);
    return this.chain(async () => {
      await (this.srdDelayMs > 0 ? sleep(this.srdDelayMs) : task());
      this.assertOpen();
      if (description.type !== 'offer' && description.type !== 'answer')
        throw new TypeError(`unsupported ${description.type}`);
      const desc: Desc = { type: description.type, sdp: description.sdp ?? '' };
      const sdp = parse(desc);
      if (desc.type === 'offer') {
        // Implicit rollback: the polite side's answer to glare.
        if (this.signalingState === 'have-local-offer') this.rollBack();
        else if (this.signalingState !== 'stable')
          throw new DOMException(`cannot take an offer in ${this.signalingState}`, 'InvalidStateError');
        this.pendingRemote = desc;
        this.signalingState = 'have-remote-offer';
      } else {
        if (this.signalingState !== 'have-local-offer' || !this.pendingLocal) {
          throw new DOMException(`cannot take an answer in ${this.signalingState}`, 'InvalidStateError');
        }
        this.currentLocal = this.pendingLocal;
        this.pendingLocal = null;
        this.currentRemote = desc;
        this.signalingState = 'stable';
      }
      this.log.push(`done SRD ${desc.type} ${sdp.ufrag}`);
      this.fireTracks(sdp);
      this.maybeConnect();
    });
  }

  addIceCandidate(candidate: IceCandidateInit): Promise<void> {
    this.log.push(`call addIceCandidate ${candidate.candidate}`);
    return this.chain(async () => {
      await task();
      this.assertOpen();
      const remote = this.remoteDescription;
      if (!remote) throw new DOMException('no remote description', 'InvalidStateError');
      if (candidate.usernameFragment && candidate.usernameFragment !== parse(remote).ufrag) {
        throw new DOMException(`unknown ufrag ${candidate.usernameFragment}`, 'OperationError');
      }
      this.addedCandidates.push(candidate);
      this.log.push(`done addIceCandidate ${candidate.candidate}`);
      this.maybeConnect();
    });
  }

  getStats(): Promise<StatsReportLike> {
    return Promise.resolve(this.statsReport);
  }

  close(): void {
    this.signalingState = 'closed';
    this.connectionState = 'closed';
  }

  /** As the ICE agent would: the path failed, dropped, came back… */
  setConnectionState(state: FakePeerConnection['connectionState']): void {
    if (state === 'failed') this.deadRemoteUfrag = this.remoteUfrag;
    this.connectionState = state;
    this.dispatch('connectionstatechange', {});
  }

  // ---- internals ----

  private chain<T>(operation: () => Promise<T>): Promise<T> {
    this.opsRunning += 1;
    const result = this.ops.then(operation).finally(() => {
      this.opsRunning -= 1;
      // Per spec, negotiation-needed is checked again once the chain is empty.
      if (this.opsRunning === 0) this.updateNegotiationNeeded();
    });
    this.ops = result.catch(() => {});
    return result;
  }

  private rollBack(): void {
    this.pendingLocal = null;
    this.signalingState = 'stable';
    this.ufrag = this.ufragBeforeOffer;
    if (this.offerRestartedIce) this.restartPending = true; // the restart did not happen
    this.rollbacks += 1;
    this.log.push('rollback');
  }

  private sdp(allowedKinds: string[] | null): string {
    const kinds = [...new Set([...this.localTracks.map((t) => t.track.kind), ...this.recvKinds])].filter(
      (kind) => !allowedKinds || allowedKinds.includes(kind),
    );
    const tracks = this.localTracks
      .filter((t) => kinds.includes(t.track.kind))
      .map((t) => ({ id: t.track.id, kind: t.track.kind, streamId: t.stream?.id ?? '-' }));
    // An answer carries the offer's m-lines even where it has nothing to send.
    const sdp: FakeSdp = { pc: this.id, ufrag: this.ufrag ?? '', kinds: allowedKinds ?? kinds, tracks };
    return JSON.stringify(sdp);
  }

  private negotiationNeeded(): boolean {
    if (this.restartPending) return true;
    if (!this.currentLocal) return this.localTracks.length > 0 || this.recvKinds.length > 0;
    const local = parse(this.currentLocal);
    return this.localTracks.some((t) => !local.tracks.some((n) => n.id === t.track.id));
  }

  private updateNegotiationNeeded(): void {
    if (this.signalingState !== 'stable' || this.opsRunning > 0 || this.negotiationQueued || !this.negotiationNeeded())
      return;
    this.negotiationQueued = true;
    setTimeout(() => {
      this.negotiationQueued = false;
      if (this.signalingState !== 'stable' || this.opsRunning > 0 || !this.negotiationNeeded()) return;
      this.log.push('negotiationneeded');
      this.dispatch('negotiationneeded', {});
    }, 0);
  }

  private gather(): void {
    const ufrag = this.ufrag;
    setTimeout(() => {
      if (this.signalingState === 'closed') return;
      const found =
        this.config.iceTransportPolicy === 'relay' && !this.ignoresPolicy
          ? this.gathers.filter((c) => c.type === 'relay')
          : this.gathers;
      for (const [i, { type, address, relatedAddress }] of found.entries()) {
        const n = i + 1;
        const related = relatedAddress ? ` raddr ${relatedAddress} rport 40000` : '';
        const init = {
          candidate: `candidate:${n} 1 udp 2122260223 ${address} ${50000 + this.id * 10 + n} typ ${type}${related} ufrag ${ufrag}`,
          sdpMid: '0',
          sdpMLineIndex: 0,
          usernameFragment: ufrag,
        };
        this.dispatch('icecandidate', { candidate: { ...init, toJSON: () => init } });
      }
      this.dispatch('icecandidate', { candidate: null });
    }, 0);
  }

  private fireTracks(sdp: FakeSdp): void {
    for (const { id, kind, streamId } of sdp.tracks) {
      if (this.remoteTrackIds.has(id)) continue;
      this.remoteTrackIds.add(id);
      let stream = this.remoteStreams.get(streamId);
      if (!stream) this.remoteStreams.set(streamId, (stream = new FakeStream(streamId)));
      const track = new FakeTrack(id, kind);
      stream.addTrack(track);
      this.dispatch('track', { track, streams: [stream] });
    }
  }

  private maybeConnect(): void {
    if (this.connectionState === 'connected' || this.connectionState === 'closed') return;
    if (this.signalingState !== 'stable' || !this.currentLocal || !this.currentRemote) return;
    const remoteUfrag = parse(this.currentRemote).ufrag;
    if (remoteUfrag === this.deadRemoteUfrag) return;
    if (!this.addedCandidates.some((c) => c.usernameFragment === remoteUfrag)) return;
    this.setConnectionState('connecting');
    setTimeout(() => {
      if (this.connectionState === 'connecting') this.setConnectionState('connected');
    }, 0);
  }

  private dispatch(type: string, event: object): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(event);
  }

  private assertOpen(): void {
    if (this.signalingState === 'closed') throw new DOMException('closed', 'InvalidStateError');
  }
}

function parse(description: { sdp: string }): FakeSdp {
  return JSON.parse(description.sdp) as FakeSdp;
}

export const fakeWebRtc = { RTCPeerConnection: FakePeerConnection };

/**
 * Two CallSignaling ends joined like the server joins a room: what one sends reaches the
 * other in order, a task later, through JSON (as over the wire). `inject` delivers data by
 * hand; `sent` records everything sent.
 */
export class FakeSignaling implements CallSignaling {
  readonly sent: SignalData[] = [];
  peer: FakeSignaling | null = null;
  private readonly listeners = new Set<(data: unknown) => void>();

  static pair(): [FakeSignaling, FakeSignaling] {
    const a = new FakeSignaling();
    const b = new FakeSignaling();
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  send(data: SignalData): void {
    this.sent.push(data);
    const wire = JSON.stringify(data);
    const peer = this.peer;
    if (peer) setTimeout(() => peer.inject(JSON.parse(wire)), 0);
  }

  onSignal(listener: (data: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  inject(data: unknown): void {
    for (const listener of [...this.listeners]) listener(data);
  }

  descriptions(): Array<{ type: string; sdp?: string }> {
    return this.sent.flatMap((d) => ('description' in d ? [d.description] : []));
  }
}
