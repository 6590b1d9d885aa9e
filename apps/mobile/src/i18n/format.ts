/**
 * Dates, times and durations for the user's locale (Intl, which every platform the app runs on
 * has for these): the app's language with the device's region when they agree, so English reads
 * "May 12, 2026, 2:30 PM" on a US device and "12 May 2026, 14:30" on a British one, and German
 * "12. Mai 2026, 14:30".
 */
import { deviceLocaleTags } from '../device/locales';
import { currentUiLanguage, i18n } from './i18n';

/**
 * The device's locales, read on the first date formatted rather than on every one: they change
 * only in the device's settings, which restarts (Android) or reloads (web) the app.
 */
let deviceTags: string[] | undefined;

/** The device's locale whose language is the app's (`en-GB` for English on a British phone), else the app's language. */
function locale(): string {
  const language = currentUiLanguage();
  const base = language.split('-')[0];
  const tags = (deviceTags ??= deviceLocaleTags());
  return tags.find((tag) => tag === language) ?? tags.find((tag) => tag.split('-')[0] === base) ?? language;
}

/** A moment, with the year only when it is not this year's. */
export function formatDateTime(iso: string | Date, now: Date = new Date()): string {
  const at = typeof iso === 'string' ? new Date(iso) : iso;
  return new Intl.DateTimeFormat(locale(), {
    day: 'numeric',
    month: 'short',
    year: at.getFullYear() === now.getFullYear() ? undefined : 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  }).format(at);
}

/**
 * "Today, 18:02", "Yesterday, 09:15", else the date and time: how people place a conversation,
 * in the app's language. Call it while rendering a component that uses useTranslation, so a
 * change of language draws it again.
 */
export function formatWhen(iso: string, now: Date = new Date()): string {
  const at = new Date(iso);
  const days = Math.round((startOfDay(now) - startOfDay(at)) / 86_400_000);
  if (days !== 0 && days !== 1) return formatDateTime(at, now);
  // The time as formatDateTime writes it, so a row of today reads like one of last week.
  const time = formatTime(at);
  return days === 0 ? i18n.t('history:today', { time }) : i18n.t('history:yesterday', { time });
}

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** A time of day alone ("14:30", "2:30 PM"), as formatDateTime writes it. */
export function formatTime(iso: string | Date): string {
  const at = typeof iso === 'string' ? new Date(iso) : iso;
  return new Intl.DateTimeFormat(locale(), { hour: 'numeric', minute: '2-digit' }).format(at);
}

/** A date without the time (a birthday, a restriction's last day). */
export function formatDate(iso: string | Date): string {
  const at = typeof iso === 'string' ? new Date(iso) : iso;
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long', year: 'numeric' }).format(at);
}

/** A running clock, "0:07", "12:34", "1:02:03": digits only, the same in every language the app has. */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(s % 60)}` : `${minutes}:${pad(s % 60)}`;
}

/** A length of time in words of the language: "3 min", "1 h 5 min", "45 s" ("3 Min.", "1 Std., 5 Min."…). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const unit = (value: number, name: 'hour' | 'minute' | 'second') =>
    new Intl.NumberFormat(locale(), { style: 'unit', unit: name, unitDisplay: 'short' }).format(value);
  if (s < 60) return unit(s, 'second');
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (hours === 0) return unit(minutes, 'minute');
  return minutes === 0 ? unit(hours, 'hour') : `${unit(hours, 'hour')} ${unit(minutes, 'minute')}`;
}
