import { useCallback, useEffect, useState } from 'react';
import { toMediaError, type LocalStream, type MediaProblem } from '../../platform/types';
import { useServices } from '../../services';

export type LocalMedia =
  { status: 'requesting' } | { status: 'ready'; stream: LocalStream } | { status: 'failed'; problem: MediaProblem };

/**
 * The camera and microphone for as long as the screen is mounted: asked for at once, Retry
 * asks again, and unmounting stops the tracks (the camera light goes off).
 */
export function useLocalMedia(): { media: LocalMedia; retryMedia(): void } {
  const { platform } = useServices();
  const [mediaAttempt, setMediaAttempt] = useState(0);
  const [media, setMedia] = useState<LocalMedia>({ status: 'requesting' });

  useEffect(() => {
    let live = true;
    let acquired: LocalStream | null = null;
    setMedia({ status: 'requesting' });
    platform.getUserMedia().then(
      (stream) => {
        if (!live) return platform.stopStream(stream);
        acquired = stream;
        setMedia({ status: 'ready', stream });
      },
      (error: unknown) => live && setMedia({ status: 'failed', problem: toMediaError(error).problem }),
    );
    return () => {
      live = false;
      if (acquired) platform.stopStream(acquired);
    };
  }, [platform, mediaAttempt]);

  const retryMedia = useCallback(() => setMediaAttempt((n) => n + 1), []);
  return { media, retryMedia };
}
