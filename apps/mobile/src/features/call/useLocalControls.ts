import { useCallback, useState } from 'react';
import type { LocalStream, LocalTrack } from '../../platform/types';
import { useServices } from '../../services';

export interface LocalControls {
  micOn: boolean;
  cameraOn: boolean;
  toggleMic(): void;
  toggleCamera(): void;
  /** Null where the platform has no camera switching (the web). */
  switchCamera: (() => void) | null;
}

/**
 * Mute and camera-off by disabling the tracks: the peer gets silence or black frames at once,
 * with no renegotiation, and the stream (reused across Next) keeps the choice.
 */
export function useLocalControls(stream: LocalStream): LocalControls {
  const { platform } = useServices();
  const [micOn, setMicOn] = useState(() => allEnabled(stream.getAudioTracks()));
  const [cameraOn, setCameraOn] = useState(() => allEnabled(stream.getVideoTracks()));

  const toggleMic = useCallback(() => {
    const on = !allEnabled(stream.getAudioTracks());
    for (const track of stream.getAudioTracks()) track.enabled = on;
    setMicOn(on);
  }, [stream]);

  const toggleCamera = useCallback(() => {
    const on = !allEnabled(stream.getVideoTracks());
    for (const track of stream.getVideoTracks()) track.enabled = on;
    setCameraOn(on);
  }, [stream]);

  const switchCamera = useCallback(() => {
    // A failed switch leaves the current camera on; nothing to tell the user.
    platform.switchCamera(stream).catch(() => {});
  }, [platform, stream]);

  return { micOn, cameraOn, toggleMic, toggleCamera, switchCamera: platform.canSwitchCamera ? switchCamera : null };
}

function allEnabled(tracks: LocalTrack[]): boolean {
  return tracks.length > 0 && tracks.every((track) => track.enabled);
}
