import { shareableCandidate, shareableSdp, type CandidatePrivacy } from './candidates.js';
import { candidateToJson, type SignalData } from './signal.js';
import type { CallSignaling } from './types.js';
import type {
  IceCandidateInit,
  MediaStreamLike,
  PeerConnectionLike,
  SessionDescriptionInit,
  WebRtcImplementation,
} from './webrtc.js';

export interface NegotiationOptions {
  webrtc: WebRtcImplementation;
  localStream: MediaStreamLike | null;
  signaling: CallSignaling;
  polite: boolean;
  privacy: CandidatePrivacy;
  pendingCandidateLimit: number;
  /** A step failed (`offer`, `candidate`); the call goes on. */
  report: (error: unknown, step: string) => void;
}

/** A local ICE candidate as the platform's `icecandidate` event gives it. */
export type LocalCandidate = Parameters<typeof candidateToJson>[0];

/**
 * Perfect negotiation (W3C WebRTC 1.0 §10.7, MDN "Perfect negotiation") over one peer
 * connection; the names are the spec example's. A Call has one per peer connection: a peer
 * that came back with a new connection (`reset`) gets a new one, started from scratch.
 */
export class Negotiation {
  private makingOffer = false;
  private ignoreOffer = false;
  private isSettingRemoteAnswerPending = false;
  private tracksAdded = false;
  private pendingCandidates: IceCandidateInit[] = [];
  private stopped = false;

  constructor(
    readonly pc: PeerConnectionLike,
    private readonly options: NegotiationOptions,
  ) {}

  /** The connection is closed or replaced: nothing more is sent for it. */
  stop(): void {
    this.stopped = true;
    this.pendingCandidates = [];
  }

  async onNegotiationNeeded(): Promise<void> {
    if (this.stopped) return;
    try {
      this.makingOffer = true;
      // Without arguments: the offer is created and applied in one step, so no remote
      // description can slip in between (the gap the old createOffer() pattern had).
      await this.pc.setLocalDescription();
      this.sendLocalDescription();
    } catch (error) {
      this.options.report(error, 'offer');
    } finally {
      this.makingOffer = false;
    }
  }

  /** Applies the peer's description or candidate; the Call runs these one at a time, in order. */
  async apply(signal: Extract<SignalData, { description: unknown } | { candidate: unknown }>): Promise<void> {
    const pc = this.pc;
    if ('description' in signal) {
      const description = signal.description;
      const readyForOffer = !this.makingOffer && (pc.signalingState === 'stable' || this.isSettingRemoteAnswerPending);
      const offerCollision = description.type === 'offer' && !readyForOffer;
      this.ignoreOffer = !this.options.polite && offerCollision;
      if (this.ignoreOffer) return;
      this.isSettingRemoteAnswerPending = description.type === 'answer';
      try {
        // On a collision (polite side) this rolls our own offer back first.
        await pc.setRemoteDescription(this.toDescription(description));
      } finally {
        this.isSettingRemoteAnswerPending = false;
      }
      if (this.stopped) return;
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
      if (this.pendingCandidates.length < this.options.pendingCandidateLimit) this.pendingCandidates.push(candidate);
      return;
    }
    try {
      await pc.addIceCandidate(this.toCandidate(candidate));
    } catch (error) {
      // Candidates of an offer we ignored fail to apply; that is expected.
      if (!this.ignoreOffer) throw error;
    }
  }

  /**
   * The initiator (impolite) adds its tracks at once, which fires negotiationneeded and sends the
   * offer; the polite side adds them when the first offer arrives (see apply).
   */
  addLocalTracks(): void {
    this.tracksAdded = true;
    const pc = this.pc;
    const stream = this.options.localStream;
    if (stream) {
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      return;
    }
    // Receive only: the initiator still has to offer audio and video.
    if (!this.options.polite && pc.addTransceiver) {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
    }
  }

  onLocalCandidate(candidate: LocalCandidate | null | undefined): void {
    // null marks the end of gathering; an empty string is the same in some browsers. Neither needs sending.
    if (!candidate || !candidate.candidate || this.stopped) return;
    const json = candidateToJson(candidate);
    const line = shareableCandidate(json.candidate, this.options.privacy);
    // Withheld: an address the peer must not learn (see candidates.ts). ICE goes on with the rest.
    if (line === null) return;
    this.options.signaling.send({ candidate: { ...json, candidate: line } });
  }

  private async addPendingCandidates(): Promise<void> {
    const candidates = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const candidate of candidates) {
      try {
        await this.pc.addIceCandidate(this.toCandidate(candidate));
      } catch (error) {
        this.options.report(error, 'candidate');
      }
    }
  }

  private sendLocalDescription(): void {
    const description = this.pc.localDescription;
    if (!description || this.stopped) return;
    const sdp = shareableSdp(description.sdp, this.options.privacy);
    this.options.signaling.send({ description: { type: description.type as SessionDescriptionInit['type'], sdp } });
  }

  private toDescription(init: SessionDescriptionInit): unknown {
    const { RTCSessionDescription } = this.options.webrtc;
    return RTCSessionDescription ? new RTCSessionDescription(init) : init;
  }

  private toCandidate(init: IceCandidateInit): unknown {
    const { RTCIceCandidate } = this.options.webrtc;
    return RTCIceCandidate ? new RTCIceCandidate(init) : init;
  }
}
