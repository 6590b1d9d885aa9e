import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { describeApiError } from '../../api';

export interface Action {
  /** Which action is on its way (its key), if one is. */
  busy: string | null;
  /** Why the last one failed, for the user (in the current language). */
  error: string | null;
  /** Runs `task` unless one is on its way; failures become `error`. */
  run(key: string, task: () => Promise<unknown>): void;
}

/** One request at a time from a piece of UI (a row's buttons, the banner), with its failure said in words. */
export function useAction(): Action {
  const [busy, setBusy] = useState<string | null>(null);
  // The failure itself, put in words at render; useTranslation draws the caller again on a language switch.
  const [failure, setFailure] = useState<{ error: unknown } | null>(null);
  useTranslation();
  const inFlight = useRef(false);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const run = useCallback((key: string, task: () => Promise<unknown>) => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(key);
    setFailure(null);
    task().then(
      () => {
        inFlight.current = false;
        if (mounted.current) setBusy(null);
      },
      (error: unknown) => {
        inFlight.current = false;
        if (!mounted.current) return;
        setBusy(null);
        setFailure({ error });
      },
    );
  }, []);

  return { busy, error: failure ? describeApiError(failure.error) : null, run };
}
