import { formatDateTime } from '../../i18n/format';

/**
 * Local date and time in the app's language. Kept for moderation/, which still imports it; new
 * code calls formatDateTime itself.
 */
export function formatWhen(iso: string): string {
  return formatDateTime(iso);
}
