/**
 * The console's words come from the moderation namespace by code (`priority.<CasePriority>`,
 * `action.<ModActionKind>`, `decision.button.<ModActionKind>`, `audit.entry.<AuditAction>`,
 * `restriction.<RestrictionKind>`, `reportStatus.<ReportStatus>`); report reasons from the report
 * namespace (report/reasons.ts). Here: what needs a little arithmetic first.
 */

/** A wait in the unit a moderator reads at a glance against the 24-hour promise: "40 min", "5 h", "3 d". */
export interface Age {
  unit: 'minutes' | 'hours' | 'days';
  n: number;
}

export function ageOf(iso: string, now: number = Date.now()): Age {
  const minutes = Math.max(0, Math.floor((now - Date.parse(iso)) / 60_000));
  if (minutes < 60) return { unit: 'minutes', n: minutes };
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return { unit: 'hours', n: hours };
  return { unit: 'days', n: Math.floor(hours / 24) };
}
