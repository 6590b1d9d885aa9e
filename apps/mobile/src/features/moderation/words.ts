import type { AuditAction, CasePriority, ModActionKind } from '@small-talk/protocol';

/** How long ago, in the unit a moderator reads at a glance against the 24-hour promise: "40 min", "5 h", "3 d". */
export function ageOf(iso: string, now: number = Date.now()): string {
  const minutes = Math.max(0, Math.floor((now - Date.parse(iso)) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

export const priorityLabel: Record<CasePriority, string> = { urgent: 'Urgent', high: 'High', normal: 'Normal' };

/** Each decision as its button names it, and as the confirmation step asks it. */
export const actionWords: Record<ModActionKind, { button: string; confirm: string }> = {
  dismiss: { button: 'Dismiss', confirm: 'Dismiss the open reports' },
  warn: { button: 'Warn', confirm: 'Warn' },
  suspend: { button: 'Suspend', confirm: 'Suspend' },
  ban: { button: 'Ban', confirm: 'Ban' },
  restore: { button: 'Restore', confirm: 'Lift the restriction of' },
};

export const auditWords: Record<AuditAction, string> = {
  dismiss: 'dismissed the reports about',
  warn: 'warned',
  suspend: 'suspended',
  ban: 'banned',
  restore: 'lifted the restriction of',
  appeal_uphold: 'upheld the appeal of',
  appeal_overturn: 'overturned the decision on',
  set_role: 'changed the role of',
  view_evidence: 'viewed evidence about',
};
