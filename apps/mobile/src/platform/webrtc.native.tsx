/**
 * WebRTC on iOS and Android: react-native-webrtc's classes, its getUserMedia (which asks for
 * the camera and microphone permissions declared in app.json) and RTCView as the VideoView.
 * webrtc.tsx is the same interface in the browser.
 */
import { StyleSheet } from 'react-native';
import {
  mediaDevices,
  RTCIceCandidate,
  RTCPeerConnection,
  RTCSessionDescription,
  RTCView,
  type MediaStream,
} from 'react-native-webrtc';
import type { WebRtcImplementation } from '@small-talk/client';
import { onNetworkChange } from './network.native';
import { MediaError, toMediaError, type LocalStream, type VideoViewProps, type WebRtcPlatform } from './types';

// react-native-webrtc wants its own description and candidate instances, hence all three.
// The cast: its RTCPeerConnection has addEventListener at runtime (event-target-shim), but the
// shim's typings are not shipped in lib/typescript, so TypeScript can't see the method.
const webrtc: WebRtcImplementation = {
  RTCPeerConnection: RTCPeerConnection as unknown as WebRtcImplementation['RTCPeerConnection'],
  RTCSessionDescription,
  RTCIceCandidate,
};

/** 640×480 at 30 fps: enough for a face on a phone, and light on battery and upload. */
export const CAMERA = { facingMode: 'user', width: 640, height: 480, frameRate: 30 };

async function getUserMedia(): Promise<LocalStream> {
  let stream: MediaStream;
  try {
    stream = await mediaDevices.getUserMedia({ audio: true, video: CAMERA });
  } catch (error) {
    throw toMediaError(error);
  }
  // react-native-webrtc drops a refused kind instead of failing: a call needs both.
  if (stream.getVideoTracks().length === 0 || stream.getAudioTracks().length === 0) {
    stopStream(stream);
    throw new MediaError('denied', 'camera or microphone permission missing');
  }
  return stream;
}

function stopStream(stream: LocalStream): void {
  for (const track of stream.getTracks()) track.stop();
  // Frees the native stream too; the JS object alone would keep the camera busy.
  (stream as { release?: (releaseTracks?: boolean) => void }).release?.(true);
}

/** Front ↔ back, in place: the sender's track stays the same, so no renegotiation. */
async function switchCamera(stream: LocalStream): Promise<void> {
  const track = (stream as unknown as MediaStream).getVideoTracks()[0];
  if (!track) return;
  const facing = track.getSettings().facingMode;
  await track.applyConstraints({ facingMode: facing === 'environment' ? 'user' : 'environment' });
}

function VideoView({
  stream,
  testID,
  mirror = false,
  objectFit = 'cover',
  onTop = false,
  blurred = false,
  style,
}: VideoViewProps) {
  // RTCView can't blur: a shielded video is not attached at all (black), so nothing of it is drawn.
  const url = blurred ? undefined : (stream as { toURL?: () => string } | null)?.toURL?.();
  // RTCView never plays audio: the local preview is silent by nature, remote audio plays by itself.
  return (
    <RTCView
      testID={testID}
      streamURL={url}
      mirror={mirror}
      objectFit={objectFit}
      zOrder={onTop ? 1 : 0}
      style={[styles.box, style]}
    />
  );
}

export const platform: WebRtcPlatform = {
  webrtc,
  // libwebrtc's mDNS obfuscation is a browser feature: here a host candidate is the phone's own address.
  dropRawHostCandidates: true,
  getUserMedia,
  stopStream,
  switchCamera,
  canSwitchCamera: true,
  // Wi-Fi ↔ cellular: the socket reconnects and the call restarts ICE at once (useRoomCall).
  onNetworkChange,
  VideoView,
};

const styles = StyleSheet.create({
  box: { backgroundColor: '#000' },
});
