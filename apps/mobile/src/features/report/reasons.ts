import type { ReportReason } from '@small-talk/protocol';

/** Every reason a report can give, in the order the sheet offers them; the words are the report namespace's `reasons.<reason>`. */
export const REPORT_REASONS: readonly ReportReason[] = [
  'nudity',
  'sexual',
  'minor',
  'harassment',
  'hate',
  'violence',
  'self_harm',
  'spam',
  'illegal',
  'other',
];

/** The key of a reason's words, for `t` (whose namespaces must include `report`). */
export function reasonKey(reason: ReportReason) {
  return `report:reasons.${reason}` as const;
}
