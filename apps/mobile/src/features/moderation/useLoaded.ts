import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../../api';
import { useServices } from '../../services';
import type { Part } from '../safety/useSafety';

/**
 * One thing the console reads from the server, as a Part (loading, failed with the failure to
 * put in words at render, ready), read again by `reload()` and whenever `key` changes.
 */
export function useLoaded<T>(read: (api: Api) => Promise<T>, key: string): Part<T> & { reload(): void } {
  const { api } = useServices();
  const [part, setPart] = useState<Part<T>>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  useEffect(() => {
    let live = true;
    read(api).then(
      (value) => live && setPart({ status: 'ready', value }),
      (error: unknown) => live && setPart({ status: 'failed', error }),
    );
    return () => {
      live = false;
    };
    // Not `read`: it is a fresh closure each render; `key` says when it reads something else.
  }, [api, key, attempt]);
  return { ...part, reload };
}
