import { useCallback, useEffect, useRef, useState } from 'react';
import type { Peer, ReportReason } from '@small-talk/protocol';
import { ApiError, describeApiError } from '../../api';
import { useServices } from '../../services';

export type ReportState =
  | { status: 'editing'; error: string | null }
  | { status: 'sending' }
  /** `snapshotsSent`: how many snapshots reached the server (0 when none were attached or all failed). */
  | { status: 'done'; snapshotsSent: number; snapshotsFailed: boolean };

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
  const { api } = useServices();
  const [state, setState] = useState<ReportState>({ status: 'editing', error: null });
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
      setState({ status: 'sending' });
      const trimmed = note.trim();
      void (async () => {
        let reportId: string;
        try {
          reportId = (await api.report({ userId: peer.id, connectionId, reason, ...(trimmed ? { note: trimmed } : {}) })).id;
        } catch (error) {
          sending.current = false;
          if (mounted.current) setState({ status: 'editing', error: describeReportError(error) });
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
        if (mounted.current) setState({ status: 'done', snapshotsSent: sent, snapshotsFailed: failed });
      })();
    },
    [api, peer.id, connectionId],
  );

  return { state, submit };
}

function describeReportError(error: unknown): string {
  const code = error instanceof ApiError ? error.code : null;
  if (code === 'already_reported') return 'You have reported this call already.';
  if (code === 'not_found') return 'This call can no longer be reported (calls can be reported for 30 days).';
  if (code === 'rate_limited') return 'You have sent many reports today. Try again tomorrow, or write to us.';
  return describeApiError(error);
}
