/**
 * What the app needs from a platform's WebRTC: `webrtc.tsx` (the browser's) and
 * `webrtc.native.tsx` (react-native-webrtc) both export a `platform` of this shape, and the
 * bundler picks the file by platform. Streams are typed structurally so the browser's
 * MediaStream and react-native-webrtc's both fit without casts.
 */
import type { ComponentType } from 'react';
import type { StyleProp, ViewStyle } from 'react-native';
import type { MediaStreamLike, WebRtcImplementation } from '@small-talk/client';

export interface LocalTrack {
  readonly id: string;
  readonly kind: string;
  /** False sends silence (audio) or black frames (video) without renegotiating. */
  enabled: boolean;
  stop(): void;
}

/** The user's own camera and microphone. */
export interface LocalStream extends MediaStreamLike {
  getTracks(): LocalTrack[];
  getAudioTracks(): LocalTrack[];
  getVideoTracks(): LocalTrack[];
}

/**
 * Why the camera and microphone could not be had, each with its own explanation on screen:
 * - `denied`: the user (or a policy) refused the permission;
 * - `no-device`: no camera or no microphone on this device;
 * - `in-use`: another app holds the camera;
 * - `insecure`: a browser on plain http (not localhost) exposes no camera at all;
 * - `unknown`: anything else.
 */
export type MediaProblem = 'denied' | 'no-device' | 'in-use' | 'insecure' | 'unknown';

export interface VideoViewProps {
  stream: MediaStreamLike | null;
  /** On the web it becomes the `<video>` element's data-testid. */
  testID?: string;
  /** The own preview is mirrored, as people expect to see themselves. */
  mirror?: boolean;
  /** The own preview is muted: playing one's own microphone back would echo. */
  muted?: boolean;
  objectFit?: 'cover' | 'contain';
  /** Native: drawn above other videos (the own preview over the peer's); the web stacks by layout. */
  onTop?: boolean;
  /**
   * Hidden by the shield (features/shield) until a check finds it clean: the web draws the
   * <video> strongly blurred and dimmed; phones can't blur react-native-webrtc's native view,
   * so there the stream is not attached at all (black) until it may be shown.
   */
  blurred?: boolean;
  style?: StyleProp<ViewStyle>;
}

export interface WebRtcPlatform {
  /** Given to SmallTalkClient.createCall(). */
  webrtc: WebRtcImplementation;
  /**
   * The implementation's host candidates carry raw IP addresses (no mDNS names), so calls must
   * not send them to the peer (the Call's `dropRawHostCandidates`): true on react-native-webrtc.
   * Browsers already hide host addresses behind `.local` names.
   */
  dropRawHostCandidates: boolean;
  /** Camera (front-facing where there is a choice) and microphone. Rejects with a MediaError. */
  getUserMedia(): Promise<LocalStream>;
  /** Stops every track, which turns the camera light off. */
  stopStream(stream: LocalStream): void;
  /** Front ↔ back camera; only where canSwitchCamera. */
  switchCamera(stream: LocalStream): Promise<void>;
  canSwitchCamera: boolean;
  /**
   * Calls back when the device's network came back or changed, so the socket and the call can
   * reconnect at once rather than wait for the old path to time out. Returns an unsubscribe.
   */
  onNetworkChange(listener: () => void): () => void;
  VideoView: ComponentType<VideoViewProps>;
}

/** A failed getUserMedia, sorted into what the screen can explain. */
export class MediaError extends Error {
  constructor(
    readonly problem: MediaProblem,
    message: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}

/**
 * Sorts a getUserMedia rejection by its DOMException-style `name`, which browsers and
 * react-native-webrtc both set (react-native-webrtc says SecurityError for a refused permission).
 */
export function toMediaError(error: unknown): MediaError {
  if (error instanceof MediaError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  const message = String((error as { message?: unknown } | null)?.message ?? error);
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return new MediaError('denied', message);
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return new MediaError('no-device', message);
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return new MediaError('in-use', message);
    default:
      return new MediaError('unknown', message);
  }
}
