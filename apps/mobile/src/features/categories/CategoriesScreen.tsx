import { ActivityIndicator, Pressable, ScrollView, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import { MAX_JOIN_CATEGORIES, type Category, type User } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { spaceActivates } from '../../ui/keys';
import { SwitchRow } from '../../ui/SwitchRow';
import { colors, space } from '../../ui/theme';
import { FriendsTab } from '../friends/FriendsTab';
import { categoryName } from './categoryName';
import { useAnyoneSetting } from './useAnyoneSetting';
import { useCategories } from './useCategories';
import { useOnlineCount } from './useOnlineCount';

export interface CategoriesScreenProps {
  user: User;
  /** Picked slugs, in the order picked: the first is the most wanted. */
  selected: readonly string[];
  onSelectedChange(selected: string[]): void;
  /** The picked categories, in the order picked, and whether to meet anyone after a while. */
  onStart(picked: Category[], options: { anyone: boolean }): void;
  onHistory(): void;
  /** Name, languages, bio, and the e-mail address's verification. */
  onProfile(): void;
  /** Friends, and the requests waiting (counted on the tab's badge). */
  onFriends(): void;
  /** The user's reports, blocks, the rules and the operator's contact. */
  onSafety(): void;
  onSignOut(): void;
  /** Offered to guests: an account keeps their history. */
  onCreateAccount(): void;
  /** The moderators' console; given only to moderators and admins. */
  onModeration?: () => void;
}

export function CategoriesScreen({
  user,
  selected,
  onSelectedChange,
  onStart,
  onHistory,
  onProfile,
  onFriends,
  onSafety,
  onSignOut,
  onCreateAccount,
  onModeration,
}: CategoriesScreenProps) {
  const { t } = useTranslation(['categories', 'common']);
  const { categories, error, reload } = useCategories();
  const { anyone, setAnyone } = useAnyoneSetting();
  const online = useOnlineCount();

  const start = () => {
    const bySlug = new Map((categories ?? []).map((category) => [category.slug, category]));
    const picked = selected.flatMap((slug) => bySlug.get(slug) ?? []);
    if (picked.length > 0) onStart(picked, { anyone });
  };

  const toggle = (slug: string) => {
    if (selected.includes(slug)) onSelectedChange(selected.filter((s) => s !== slug));
    else if (selected.length < MAX_JOIN_CATEGORIES) onSelectedChange([...selected, slug]);
  };

  return (
    <View style={styles.root}>
      <View style={styles.header}>
        <Text style={styles.hello} numberOfLines={1}>
          {t('categories:hello', { name: user.displayName })}
        </Text>
        <View style={styles.headerLinks}>
          <FriendsTab onPress={onFriends} />
          <Button testID="profile-tab" variant="link" title={t('categories:tabs.profile')} onPress={onProfile} />
          <Button testID="open-history" variant="link" title={t('categories:tabs.history')} onPress={onHistory} />
          <Button testID="safety-tab" variant="link" title={t('categories:tabs.safety')} onPress={onSafety} />
          {onModeration && (
            <Button
              testID="moderation-tab"
              variant="link"
              title={t('categories:tabs.moderation')}
              onPress={onModeration}
            />
          )}
          {user.kind === 'guest' && (
            <Button
              testID="create-account"
              variant="link"
              title={t('categories:tabs.createAccount')}
              onPress={onCreateAccount}
            />
          )}
          <Button testID="sign-out" variant="link" title={t('categories:tabs.signOut')} onPress={onSignOut} />
        </View>
      </View>

      <Text style={styles.title} accessibilityRole="header">
        {t('categories:title')}
      </Text>
      <Text style={styles.hint}>{t('categories:hint')}</Text>
      {online !== null && (
        <Text testID="online-count" style={styles.online} accessibilityLiveRegion="polite">
          {t('categories:online', { count: online })}
        </Text>
      )}

      {error ? (
        <View style={styles.errorRow}>
          <Text testID="categories-error" style={styles.error}>
            {error}
          </Text>
          <Button variant="link" title={t('categories:retry')} onPress={reload} />
        </View>
      ) : null}

      {categories === null ? (
        error ? null : (
          <ActivityIndicator style={styles.loading} color={colors.accent} accessibilityLabel={t('common:loading')} />
        )
      ) : (
        <ScrollView contentContainerStyle={styles.grid}>
          {categories.map((category) => (
            <CategoryTile
              key={category.slug}
              category={category}
              selected={selected.includes(category.slug)}
              onPress={() => toggle(category.slug)}
            />
          ))}
        </ScrollView>
      )}

      <SwitchRow
        testID="anyone-toggle"
        label={t('categories:anyoneSetting.label')}
        detail={anyone ? t('categories:anyoneSetting.on') : t('categories:anyoneSetting.off')}
        on={anyone}
        onChange={setAnyone}
      />
      <Button
        testID="start-matching"
        title={selected.length === 0 ? t('categories:pick') : t('categories:start')}
        onPress={start}
        disabled={selected.length === 0 || categories === null}
        style={styles.start}
      />
    </View>
  );
}

function CategoryTile({ category, selected, onPress }: { category: Category; selected: boolean; onPress(): void }) {
  const { t } = useTranslation(['categories', 'common']);
  const name = categoryName(category.slug, category.name);
  return (
    <Pressable
      testID={`category-${category.slug}`}
      accessibilityRole="checkbox"
      // aria-checked is what react-native-web renders (browsers and browser tests read it); accessibilityState is the native one.
      aria-checked={selected}
      accessibilityState={{ checked: selected }}
      accessibilityLabel={t('categories:tileLabel', { name, count: category.waiting })}
      onPress={onPress}
      {...spaceActivates(onPress)}
      style={[styles.tile, selected && styles.tileSelected]}
    >
      <Text style={styles.tileName}>{name}</Text>
      <Text testID={`waiting-${category.slug}`} style={styles.tileWaiting}>
        {t('categories:waiting', { count: category.waiting })}
      </Text>
    </Pressable>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.l, gap: space.s },
  header: { flexDirection: 'row', alignItems: 'center', justifyContent: 'space-between', flexWrap: 'wrap' },
  hello: { color: colors.text, fontSize: 16, flexShrink: 1 },
  // Wraps on a narrow phone (and in longer languages) instead of running off the screen.
  headerLinks: { flexDirection: 'row', flexWrap: 'wrap', flexShrink: 1, maxWidth: '100%' },
  title: { color: colors.text, fontSize: 24, fontWeight: '700', marginTop: space.m },
  hint: { color: colors.textMuted },
  online: { color: colors.success, fontSize: 13 },
  loading: { marginTop: space.xl },
  errorRow: { flexDirection: 'row', alignItems: 'center', gap: space.s },
  error: { color: colors.danger, flexShrink: 1 },
  grid: { flexDirection: 'row', flexWrap: 'wrap', gap: space.s, paddingVertical: space.m, maxWidth: 640 },
  // Two columns that share the width; the categories come in pairs (ten today).
  tile: {
    flexBasis: '40%',
    flexGrow: 1,
    padding: space.m,
    borderRadius: 12,
    borderWidth: 2,
    borderColor: colors.border,
    backgroundColor: colors.surface,
    gap: space.xs,
  },
  tileSelected: { borderColor: colors.accent, backgroundColor: colors.surfaceRaised },
  tileName: { color: colors.text, fontSize: 17, fontWeight: '600' },
  tileWaiting: { color: colors.textMuted, fontSize: 13 },
  start: { marginTop: 'auto' },
});
