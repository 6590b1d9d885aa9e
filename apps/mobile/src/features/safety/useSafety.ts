import { useCallback, useEffect, useState } from 'react';
import type { Block, Report, RulesResponse } from '@small-talk/protocol';
import { useServices } from '../../services';

/**
 * One part of the Safety screen: each loads (and fails) on its own, so the rules show even if the
 * reports can't. A failure keeps what failed (an ApiError, or what fetch threw): the screen puts
 * it in words when it draws, in the language of the moment.
 */
export type Part<T> = { status: 'loading' } | { status: 'failed'; error: unknown } | { status: 'ready'; value: T };

export interface Safety {
  reports: Part<Report[]>;
  blocks: Part<Block[]>;
  rules: Part<RulesResponse>;
  reload(): void;
  /** Unblocks `userId` and takes it off the list; rejects with the API's failure (describeApiError says it). */
  unblock(userId: string): Promise<void>;
}

/** What the Safety screen shows: the user's reports and their status, who it blocked, the rules and the operator's contact. */
export function useSafety(): Safety {
  const { api } = useServices();
  const [reports, setReports] = useState<Part<Report[]>>({ status: 'loading' });
  const [blocks, setBlocks] = useState<Part<Block[]>>({ status: 'loading' });
  const [rules, setRules] = useState<Part<RulesResponse>>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    const load = <T>(request: Promise<T>, set: (part: Part<T>) => void) => {
      set({ status: 'loading' });
      request.then(
        (value) => live && set({ status: 'ready', value }),
        (error: unknown) => live && set({ status: 'failed', error }),
      );
    };
    load(api.reports(), setReports);
    load(api.blocks(), setBlocks);
    load(api.rules(), setRules);
    return () => {
      live = false;
    };
  }, [api, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);

  const unblock = useCallback(
    async (userId: string) => {
      await api.unblock(userId);
      setBlocks((part) =>
        part.status === 'ready'
          ? { status: 'ready', value: part.value.filter((block) => block.user.id !== userId) }
          : part,
      );
    },
    [api],
  );

  return { reports, blocks, rules, reload, unblock };
}
