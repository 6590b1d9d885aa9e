import { Pressable, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import { colors, space } from '../../ui/theme';
import { useFriendsState, useFriendsStore } from './useFriends';

/** The way to Friends from Categories, with how many requests wait for an answer. */
export function FriendsTab({ onPress }: { onPress(): void }) {
  const { t } = useTranslation(['friends']);
  const state = useFriendsState(useFriendsStore());
  const waiting = state?.incoming.length ?? 0;
  return (
    <Pressable
      testID="friends-tab"
      accessibilityRole="button"
      accessibilityLabel={waiting > 0 ? t('friends:tabWaiting', { count: waiting }) : t('friends:tab')}
      onPress={onPress}
      style={({ pressed }) => [styles.tab, pressed && styles.pressed]}
    >
      <Text style={styles.text}>{t('friends:tab')}</Text>
      {waiting > 0 && (
        <View testID="friends-badge" style={styles.badge}>
          <Text style={styles.badgeText}>{waiting}</Text>
        </View>
      )}
    </Pressable>
  );
}

const styles = StyleSheet.create({
  // The look of a link Button (ui/Button), with room for the badge.
  tab: { minHeight: 44, paddingHorizontal: space.s, flexDirection: 'row', alignItems: 'center', gap: space.xs },
  pressed: { opacity: 0.8 },
  text: { color: colors.accent, fontSize: 16, fontWeight: '600' },
  badge: {
    minWidth: 20,
    height: 20,
    borderRadius: 10,
    paddingHorizontal: 5,
    backgroundColor: colors.danger,
    alignItems: 'center',
    justifyContent: 'center',
  },
  badgeText: { color: colors.accentText, fontSize: 12, fontWeight: '700' },
});
