/**
 * Small Talk client SDK: the socket (auth, reconnect, resume), matchmaking (queue, rooms,
 * chat), friends (live requests, presence, direct calls) and the WebRTC call (perfect
 * negotiation), typed with @small-talk/protocol.
 * No UI; runs in browsers, React Native and Node (inject `ws` and a WebRTC implementation).
 */
export { SmallTalkClient, type SmallTalkClientOptions, type CreateCallOptions } from './client.js';
export {
  Socket,
  SocketEvent,
  type SocketEventCallbacks,
  type SocketOptions,
  type SocketState,
  type SocketStateInfo,
  type SocketCloseReason,
  type RetryInfo,
} from './socket/socket.js';
export {
  createReconnectPolicy,
  defaultReconnectPolicy,
  type ReconnectPolicy,
  type ReconnectContext,
  type ReconnectPolicyOptions,
} from './socket/reconnect-policy.js';
export { createPlatformWebSocket, type CreateWebSocket, type WebSocketLike } from './socket/websocket.js';
export {
  Matchmaking,
  MatchmakingEvent,
  type MatchmakingEventCallbacks,
  type MatchmakingOptions,
  type JoinOptions,
  type MatchmakingState,
  type Matched,
  type Room,
  type RoomSignaling,
  type ChatReceived,
} from './matchmaking/matchmaking.js';
export {
  Friends,
  FriendsEvent,
  type FriendsEventCallbacks,
  type FriendsOptions,
  type DirectCall,
  type DirectCallDirection,
  type DirectCallEnded,
} from './friends/friends.js';
export {
  Call,
  CallEvent,
  type CallEventCallbacks,
  type CallOptions,
  type CallSignaling,
  type CallState,
} from './call/call.js';
export type { CallStats, CandidateType } from './call/stats.js';
export type { IceConfig, IceServersProvider } from './call/ice.js';
export type { SignalData } from './call/signal.js';
export type {
  WebRtcImplementation,
  PeerConnectionLike,
  PeerConnectionConfig,
  MediaStreamLike,
  MediaStreamTrackLike,
  IceServer,
  SessionDescriptionInit,
  IceCandidateInit,
  StatsReportLike,
} from './call/webrtc.js';
export { Emitter } from './events.js';
export { SmallTalkError } from './errors.js';
export * as defaults from './defaults.js';
