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
  addEventListener(type: string, listener: (event: any) => void): void;
  removeEventListener(type: string, listener: (event: any) => void): void;
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
