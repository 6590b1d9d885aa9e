/**
 * The browser's snapshots of the peer's video for a report: while a call is live, one JPEG a
 * second drawn from the remote stream, of which only the last few are kept, in memory, on this
 * device. Nothing leaves it unless the user submits a report with "Attach a snapshot"; the
 * frames are dropped when the call ends. frameRing.native.ts is the phones' (none).
 */
import { useEffect, useMemo, useRef } from 'react';
import type { MediaStreamLike } from '@small-talk/client';
import { EVIDENCE_MAX_BYTES, EVIDENCE_PER_REPORT } from '@small-talk/protocol';
import { SNAPSHOT_EVERY_MS, SNAPSHOT_MAX_WIDTH, SNAPSHOT_QUALITY } from '../../defaults';
import type { Snapshots } from './snapshots';

/** Frames from before the sheet opened: the report's other evidence slots. */
const KEPT = EVIDENCE_PER_REPORT - 1;

export function useFrameRing(stream: MediaStreamLike | null): Snapshots | null {
  const grabber = useRef<(() => Promise<Blob | null>) | null>(null);
  const ring = useRef<Blob[]>([]);

  useEffect(() => {
    ring.current = [];
    grabber.current = null;
    if (!stream || typeof document === 'undefined') return;
    // A video element of our own, off the page: the one on screen belongs to VideoView.
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream as MediaStream;
    video.play().catch(() => {});
    const canvas = document.createElement('canvas');
    const grab = () => grabFrame(video, canvas);
    grabber.current = grab;
    let grabbing = false;
    const timer = setInterval(() => {
      if (grabbing) return;
      grabbing = true;
      grab()
        .then((frame) => {
          if (frame && grabber.current === grab) ring.current = [...ring.current, frame].slice(-KEPT);
        })
        .finally(() => {
          grabbing = false;
        })
        // A frame that can't be drawn (the canvas refuses it, the video went away) is skipped,
        // not raised as an unhandled rejection each second: the next tick tries again.
        .catch(() => {});
    }, SNAPSHOT_EVERY_MS);
    return () => {
      clearInterval(timer);
      grabber.current = null;
      ring.current = [];
      video.pause();
      video.srcObject = null;
    };
  }, [stream]);

  return useMemo<Snapshots | null>(() => {
    if (!stream || typeof document === 'undefined') return null;
    return {
      async take() {
        const before = [...ring.current].reverse();
        const now = grabber.current ? await grabber.current().catch(() => null) : null;
        return (now ? [now, ...before] : before).slice(0, EVIDENCE_PER_REPORT);
      },
    };
  }, [stream]);
}

/** The video's current frame as a JPEG that fits the server's limit, scaled down until it does; null before the first frame. */
async function grabFrame(video: HTMLVideoElement, canvas: HTMLCanvasElement): Promise<Blob | null> {
  if (video.readyState < 2 || video.videoWidth === 0) return null;
  let scale = Math.min(1, SNAPSHOT_MAX_WIDTH / video.videoWidth);
  let quality = SNAPSHOT_QUALITY;
  for (let attempt = 0; attempt < 5; attempt++) {
    canvas.width = Math.max(1, Math.round(video.videoWidth * scale));
    canvas.height = Math.max(1, Math.round(video.videoHeight * scale));
    const context = canvas.getContext('2d');
    if (!context) return null;
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
    if (!blob) return null;
    if (blob.size <= EVIDENCE_MAX_BYTES) return blob;
    scale *= 0.7;
    quality = Math.max(0.5, quality - 0.1);
  }
  return null;
}
