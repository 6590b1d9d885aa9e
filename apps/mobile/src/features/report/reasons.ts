import type { ReportReason } from '@small-talk/protocol';

/** Every reason a report can give, in the order the sheet offers them, with the words the user reads. */
export const reportReasons: ReadonlyArray<{ reason: ReportReason; label: string }> = [
  { reason: 'nudity', label: 'Nudity' },
  { reason: 'sexual', label: 'Sexual content' },
  { reason: 'minor', label: 'Looks under 18' },
  { reason: 'harassment', label: 'Harassment or bullying' },
  { reason: 'hate', label: 'Hate' },
  { reason: 'violence', label: 'Violence or threats' },
  { reason: 'self_harm', label: 'Self-harm' },
  { reason: 'spam', label: 'Spam or scam' },
  { reason: 'illegal', label: 'Something illegal' },
  { reason: 'other', label: 'Something else' },
];

export function reasonLabel(reason: ReportReason): string {
  return reportReasons.find((entry) => entry.reason === reason)?.label ?? reason;
}
