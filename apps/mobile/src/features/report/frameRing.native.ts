import type { MediaStreamLike } from '@small-talk/client';
import type { Snapshots } from './snapshots';

/**
 * react-native-webrtc's video is drawn natively: there is no canvas to take a frame from, so
 * phones offer no snapshot (the report goes without one). frameRing.ts is the browser's.
 */
export function useFrameRing(_stream: MediaStreamLike | null): Snapshots | null {
  return null;
}
