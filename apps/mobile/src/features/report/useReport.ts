import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Peer, ReportReason } from '@small-talk/protocol';
import { ApiError, describeApiError } from '../../api';
import { useServices } from '../../services';

export type ReportState =
  /** `error`: why the last try failed, in the current language. */
  | { status: 'editing'; error: string | null }
  | { status: 'sending' }
  /** `snapshotsSent`: how many snapshots reached the server (0 when none were attached or all failed). */
  | { status: 'done'; snapshotsSent: number; snapshotsFailed: boolean };

/** What the hook keeps: a failure as it came, put in words at render (so a language switch re-words it). */
type Progress = { status: 'editing'; failure: { error: unknown } | null } | Exclude<ReportState, { status: 'editing' }>;

export interface ReportInput {
  reason: ReportReason;
  note: string;
  /** The snapshots taken when the sheet opened, if the user left "Attach a snapshot" on. */
  snapshots: Promise<Blob[]> | null;
}

/**
 * Sends one report about `peer` and the connection (history row, = room) it is about: the
 * report first (which also blocks the peer, server-side), then its snapshots as evidence.
 * A snapshot that fails is said but does not undo the report: the report is what matters.
 */
export function useReport(peer: Peer, connectionId: string): { state: ReportState; submit(input: ReportInput): void } {
  const { t } = useTranslation(['report']);
  const { api } = useServices();
  const [progress, setProgress] = useState<Progress>({ status: 'editing', failure: null });
  const mounted = useRef(true);
  const sending = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const submit = useCallback(
    ({ reason, note, snapshots }: ReportInput) => {
      if (sending.current) return;
      sending.current = true;
      setProgress({ status: 'sending' });
      const trimmed = note.trim();
      void (async () => {
        let reportId: string;
        try {
          reportId = (
            await api.report({ userId: peer.id, connectionId, reason, ...(trimmed ? { note: trimmed } : {}) })
          ).id;
        } catch (error) {
          sending.current = false;
          if (mounted.current) setProgress({ status: 'editing', failure: { error } });
          return;
        }
        let sent = 0;
        let failed = false;
        for (const jpeg of snapshots ? await snapshots.catch(() => []) : []) {
          try {
            await api.addReportEvidence(reportId, jpeg);
            sent += 1;
          } catch {
            failed = true;
          }
        }
        if (mounted.current) setProgress({ status: 'done', snapshotsSent: sent, snapshotsFailed: failed });
      })();
    },
    [api, peer.id, connectionId],
  );

  let state: ReportState;
  if (progress.status !== 'editing') state = progress;
  else if (!progress.failure) state = { status: 'editing', error: null };
  else {
    const { error } = progress.failure;
    const code = error instanceof ApiError ? error.code : null;
    // A report's own wording for these; the rest as anywhere else.
    const own = code === 'already_reported' || code === 'not_found' || code === 'rate_limited' ? code : null;
    state = { status: 'editing', error: own ? t(`report:error.${own}`) : describeApiError(error) };
  }
  return { state, submit };
}
