/**
 * The parts of WebRTC a Call uses, typed structurally so that the browser's globals and
 * react-native-webrtc's classes both fit without casts. Event objects are read for a few
 * fields only, so their types stay loose.
 */

export type SessionDescriptionType = 'offer' | 'answer' | 'pranswer' | 'rollback';

export type SessionDescriptionInit = {
  type: SessionDescriptionType;
  sdp?: string;
};

export type IceCandidateInit = {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
};

export interface MediaStreamTrackLike {
  readonly id: string;
  readonly kind: string;
}

export interface MediaStreamLike {
  readonly id: string;
  getTracks(): MediaStreamTrackLike[];
}

/*
 * The browser's RTCPeerConnection and react-native-webrtc's must both fit these shapes as they
 * are, and each has its own description, candidate, track, stats and event classes: their
 * parameters stay `any` (`unknown` would refuse their listeners, whose parameters are narrower).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- see the comment above: two platforms' classes fit as they are */

/** A peer connection's event listener: each platform passes its own event classes. */
export type PeerConnectionListener = (event: any) => void;

/** A getStats() result: RTCStatsReport in browsers, a Map in react-native-webrtc. */
export interface StatsReportLike {
  forEach(callback: (stat: any) => void): void;
  get(id: string): any;
}

export interface PeerConnectionLike {
  readonly signalingState: string;
  /** Missing on old implementations; iceConnectionState stands in then. */
  readonly connectionState?: string;
  readonly iceConnectionState?: string;
  readonly localDescription: { type: string; sdp: string } | null;
  readonly remoteDescription: { type: string; sdp: string } | null;
  /** Called without arguments (implicit offer/answer) and with `{type:'rollback'}`. */
  setLocalDescription(description?: any): Promise<void>;
  setRemoteDescription(description: any): Promise<void>;
  addIceCandidate(candidate: any): Promise<void>;
  addTrack(track: any, ...streams: any[]): unknown;
  addTransceiver?(kind: any, init?: any): unknown;
  restartIce(): void;
  /** Fresh STUN/TURN settings, used from the next ICE gathering on (an ICE restart). */
  setConfiguration?(config: PeerConnectionConfig): void;
  getStats(): Promise<StatsReportLike>;
  close(): void;
  addEventListener(type: string, listener: PeerConnectionListener): void;
  removeEventListener(type: string, listener: PeerConnectionListener): void;
}

export type IceServer = {
  urls: string | string[];
  username?: string;
  credential?: string;
};

export type PeerConnectionConfig = {
  iceServers: IceServer[];
  iceTransportPolicy: 'all' | 'relay';
};

/**
 * A WebRTC implementation, injected: `{ RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }`
 * from the browser's globals or from react-native-webrtc. The two constructors of values are
 * optional: when given, remote descriptions and candidates are wrapped in them (old
 * implementations want instances); otherwise plain objects are passed, as the spec allows.
 */
export interface WebRtcImplementation {
  RTCPeerConnection: new (config: PeerConnectionConfig) => PeerConnectionLike;
  RTCSessionDescription?: new (init: any) => unknown;
  RTCIceCandidate?: new (init: any) => unknown;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
