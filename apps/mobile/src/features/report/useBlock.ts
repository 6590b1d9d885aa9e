import { useCallback, useEffect, useRef, useState } from 'react';
import { describeApiError } from '../../api';
import { useServices } from '../../services';

export type BlockState = { status: 'idle' } | { status: 'sending' } | { status: 'blocked' } | { status: 'failed'; error: string };

/** Blocks one user (POST /api/blocks): never matched again; a live room with them ends, server-side. */
export function useBlock(userId: string): { state: BlockState; block(): void } {
  const { api } = useServices();
  const [state, setState] = useState<BlockState>({ status: 'idle' });
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
    setState({ status: 'idle' });
  }, [userId]);

  const block = useCallback(() => {
    if (sending.current) return;
    sending.current = true;
    setState({ status: 'sending' });
    api.block(userId).then(
      () => mounted.current && setState({ status: 'blocked' }),
      (error: unknown) => {
        sending.current = false;
        if (mounted.current) setState({ status: 'failed', error: describeApiError(error) });
      },
    );
  }, [api, userId]);

  return { state, block };
}
