import { useEffect } from 'react';
import { AppState } from 'react-native';
import { mediaDevices } from 'react-native-webrtc';
import type { Call } from '@small-talk/client';
import { CAMERA } from '../../platform/webrtc.native';
import type { LocalStream, LocalTrack } from '../../platform/types';

interface VideoSender {
  readonly track: { readonly id: string } | null;
  replaceTrack(track: unknown): Promise<void>;
}

/**
 * iOS stops a backgrounded app's camera (and Android lets another app take it): while Small
 * Talk is in the background the camera is let go — the call's video sender sends nothing and
 * the camera's track is stopped, its light off — and coming back to the foreground opens it
 * again into the same sender, with no renegotiation. The microphone stays: the call goes on.
 * A camera the user had turned off stays off. useBackgroundCamera.ts is the browser's.
 */
export function useBackgroundCamera(stream: LocalStream, call: Call | null): void {
  useEffect(() => {
    if (!call) return;
    let released: { sender: VideoSender | null; enabled: boolean } | null = null;
    let busy: Promise<void> = Promise.resolve();
    const senders = () => (call.peerConnection as unknown as { getSenders?: () => VideoSender[] }).getSenders?.() ?? [];

    const release = async () => {
      const track = stream.getVideoTracks()[0];
      if (!track || released) return;
      const sender = senders().find((candidate) => candidate.track?.id === track.id) ?? null;
      released = { sender, enabled: track.enabled };
      await sender?.replaceTrack(null).catch(() => {});
      (stream as unknown as { removeTrack(track: LocalTrack): void }).removeTrack(track);
      track.stop();
    };
    const restore = async () => {
      const was = released;
      if (!was) return;
      released = null;
      try {
        const fresh = await mediaDevices.getUserMedia({ video: CAMERA });
        const track = fresh.getVideoTracks()[0];
        if (!track) return;
        track.enabled = was.enabled;
        (stream as unknown as { addTrack(track: unknown): void }).addTrack(track);
        await was.sender?.replaceTrack(track);
      } catch {
        // No camera now (another app holds it): the call goes on with audio; the peer sees no video.
      }
    };
    const subscription = AppState.addEventListener('change', (state) => {
      // One step at a time: a quick background/foreground must not restore before the release ended.
      if (state === 'background') busy = busy.then(release);
      else if (state === 'active') busy = busy.then(restore);
    });
    return () => {
      subscription.remove();
      // The screen goes (call over) while in the background: the next screen opens the camera as it needs.
    };
  }, [stream, call]);
}
