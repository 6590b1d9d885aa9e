import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { describeApiError } from '../../api';
import { useServices } from '../../services';

/** `error`: why the block failed, in the current language. */
export type BlockState =
  { status: 'idle' } | { status: 'sending' } | { status: 'blocked' } | { status: 'failed'; error: string };

/** What the hook keeps: a failure as it came, put in words at render (so a language switch re-words it). */
type Progress =
  { status: 'idle' } | { status: 'sending' } | { status: 'blocked' } | { status: 'failed'; failure: unknown };

/** Blocks one user (POST /api/blocks): never matched again; a live room with them ends, server-side. */
export function useBlock(userId: string): { state: BlockState; block(): void } {
  const { api } = useServices();
  // Draws the caller again on a language switch, so `state.error` is said in the new language.
  useTranslation();
  const [progress, setProgress] = useState<Progress>({ status: 'idle' });
  const mounted = useRef(true);
  const sending = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  // Another person (the next room): nothing blocked yet.
  useEffect(() => {
    sending.current = false;
    setProgress({ status: 'idle' });
  }, [userId]);

  const block = useCallback(() => {
    if (sending.current) return;
    sending.current = true;
    setProgress({ status: 'sending' });
    api.block(userId).then(
      () => mounted.current && setProgress({ status: 'blocked' }),
      (error: unknown) => {
        sending.current = false;
        if (mounted.current) setProgress({ status: 'failed', failure: error });
      },
    );
  }, [api, userId]);

  const state: BlockState =
    progress.status === 'failed' ? { status: 'failed', error: describeApiError(progress.failure) } : progress;
  return { state, block };
}
