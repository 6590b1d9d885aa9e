/**
 * WebRTC in the browser: the window's RTCPeerConnection and getUserMedia, and a VideoView
 * that is a real <video> element, so the web build's video is what the browser decodes.
 * webrtc.native.tsx is the same interface on react-native-webrtc.
 */
import { useEffect, useRef, useState, type CSSProperties } from 'react';
import { Pressable, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { WebRtcImplementation } from '@small-talk/client';
import { MediaError, toMediaError, type LocalStream, type VideoViewProps, type WebRtcPlatform } from './types';

/** 640×480 is what a 1:1 call needs; asking for more only costs CPU and upload. */
const CAMERA: MediaTrackConstraints = { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } };

/**
 * The shield's blur: strong enough that a body is a blur of colour, not a shape, at any size
 * the call screen draws it; dimmed too, so a bright skin-coloured blur doesn't fill the screen.
 */
const BLURRED_FILTER = 'blur(48px) brightness(0.35)';

// Read at call time: the module must import cleanly where there is no window (tests, tooling).
const webrtc: WebRtcImplementation = {
  get RTCPeerConnection() {
    return globalThis.RTCPeerConnection;
  },
};

async function getUserMedia(): Promise<LocalStream> {
  const devices = typeof navigator === 'undefined' ? undefined : navigator.mediaDevices;
  if (!devices?.getUserMedia) {
    // Browsers hide mediaDevices outside secure contexts (https, or http on localhost).
    const insecure = typeof window !== 'undefined' && window.isSecureContext === false;
    throw new MediaError(insecure ? 'insecure' : 'unknown', 'this browser gives the page no camera');
  }
  try {
    return await devices.getUserMedia({ audio: true, video: CAMERA });
  } catch (error) {
    throw toMediaError(error);
  }
}

function stopStream(stream: LocalStream): void {
  for (const track of stream.getTracks()) track.stop();
}

function onNetworkChange(listener: () => void): () => void {
  if (typeof window === 'undefined') return () => {};
  // `online` fires when the browser regains a network, often on a new address: the old
  // socket and ICE path are dead even if they don't know it yet.
  window.addEventListener('online', listener);
  return () => window.removeEventListener('online', listener);
}

function VideoView({
  stream,
  testID,
  mirror = false,
  muted = false,
  objectFit = 'cover',
  blurred = false,
  style,
}: VideoViewProps) {
  const { t } = useTranslation(['call']);
  const ref = useRef<HTMLVideoElement>(null);
  const [soundBlocked, setSoundBlocked] = useState(false);

  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    // React sets `muted` as a property only after mount; autoplay checks it at play().
    video.muted = muted;
    const media = stream as MediaStream | null;
    if (video.srcObject !== media) video.srcObject = media;
    if (!media) return;
    video.play().catch((error: { name?: string }) => {
      // Autoplay with sound can be refused without a user gesture: play muted rather than
      // show a frozen picture, and offer the sound on a tap.
      if (error?.name !== 'NotAllowedError' || video.muted) return;
      video.muted = true;
      setSoundBlocked(true);
      video.play().catch(() => {});
    });
  }, [stream, muted]);

  const unmute = () => {
    if (ref.current) ref.current.muted = false;
    setSoundBlocked(false);
  };

  const videoStyle: CSSProperties = {
    width: '100%',
    height: '100%',
    objectFit,
    display: 'block',
    backgroundColor: '#000',
    transform: mirror ? 'scaleX(-1)' : undefined,
    // Part of the element's style from its first render: React writes it to the DOM before the
    // effect above attaches the stream, so no frame is ever painted without it.
    filter: blurred ? BLURRED_FILTER : 'none',
  };
  return (
    <View style={[styles.box, style]}>
      <video ref={ref} data-testid={testID} autoPlay playsInline muted={muted} style={videoStyle} />
      {soundBlocked && (
        <Pressable accessibilityRole="button" onPress={unmute} style={styles.unmute}>
          <Text style={styles.unmuteText}>{t('call:tapForSound')}</Text>
        </Pressable>
      )}
    </View>
  );
}

export const platform: WebRtcPlatform = {
  webrtc,
  // The browser names host candidates `<uuid>.local` (mDNS) already.
  dropRawHostCandidates: false,
  getUserMedia,
  stopStream,
  switchCamera: async () => {},
  canSwitchCamera: false,
  onNetworkChange,
  VideoView,
};

const styles = StyleSheet.create({
  box: { overflow: 'hidden', backgroundColor: '#000' },
  unmute: {
    position: 'absolute',
    alignSelf: 'center',
    top: '45%',
    backgroundColor: 'rgba(0,0,0,0.6)',
    paddingHorizontal: 16,
    paddingVertical: 10,
    borderRadius: 20,
  },
  unmuteText: { color: '#fff', fontSize: 16 },
});
