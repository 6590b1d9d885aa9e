import { i18n } from '../../i18n/i18n';
import type { english } from '../../i18n/resources';

/** The slugs the app has names for (the server's seed list); any other slug shows the server's name. */
type KnownSlug = keyof typeof english.categories.names;

/**
 * A category as the user knows it, in the app's language: the app's own name for a slug it
 * knows, else the server's (English) name, else the slug. `null` is a room beyond the user's
 * categories (a widened search): "Anyone". Call it while rendering a component that uses
 * useTranslation, so a change of language draws it again.
 */
export function categoryName(slug: string | null, serverName?: string): string {
  if (slug === null) return i18n.t('categories:anyone');
  return i18n.t(`categories:names.${slug as KnownSlug}`, { defaultValue: serverName ?? slug });
}
