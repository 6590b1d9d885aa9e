import { useCallback, useEffect, useState } from 'react';
import { SocketEvent, type SmallTalkClient } from '@small-talk/client';
import type { Appeal, Notice } from '@small-talk/protocol';
import { useServices } from '../../services';

export type NoticesState =
  | { status: 'loading' }
  /** `error`: the failure as it came; the screen describes it (in the language of the moment). */
  | { status: 'failed'; error: unknown }
  /** `appeals`: the user's own, newest first. */
  | { status: 'ready'; notices: Notice[]; appeals: Appeal[] };

/**
 * Every statement of reasons about the user, newest first, and its appeals. Read again when a
 * `notice` frame arrives (a signed-in user has a socket; a banned member's appeal token has none).
 */
export function useNotices(client?: SmallTalkClient): NoticesState & { reload(): void } {
  const { api } = useServices();
  const [state, setState] = useState<NoticesState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);

  useEffect(() => {
    let live = true;
    Promise.all([api.notices(), api.appeals()]).then(
      ([notices, appeals]) => live && setState({ status: 'ready', notices, appeals }),
      (error: unknown) => live && setState({ status: 'failed', error }),
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);

  useEffect(() => client?.socket.on(SocketEvent.Notice, reload), [client, reload]);

  return { ...state, reload };
}
