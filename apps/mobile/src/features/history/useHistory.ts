import { useCallback, useEffect, useState } from 'react';
import type { Connection } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { HISTORY_LIMIT } from '../../defaults';
import { useServices } from '../../services';

export type HistoryState =
  | { status: 'loading' }
  | { status: 'failed'; error: string }
  /** `categoryNames`: slug → name, so rows say "Music" rather than "music". */
  | { status: 'ready'; connections: Connection[]; categoryNames: Map<string, string> };

/** The people this user met, newest first. */
export function useHistory(): { history: HistoryState; reload(): void } {
  const { api } = useServices();
  const [history, setHistory] = useState<HistoryState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    setHistory({ status: 'loading' });
    // Names are nice to have: without them the slugs show.
    const names = api.categories().then(
      (list) => new Map(list.map((category) => [category.slug, category.name])),
      () => new Map<string, string>(),
    );
    Promise.all([api.history(HISTORY_LIMIT), names]).then(
      ([connections, categoryNames]) => live && setHistory({ status: 'ready', connections, categoryNames }),
      (error: unknown) => live && setHistory({ status: 'failed', error: describeApiError(error) }),
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { history, reload };
}
