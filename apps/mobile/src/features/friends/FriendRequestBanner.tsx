import { StyleSheet, Text, View } from 'react-native';
import { Trans, useTranslation } from 'react-i18next';
import type { FriendRequest } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { bannerRequest } from './friendsState';
import { RequestAnswers } from './RequestAnswers';
import { useAction } from './useAction';
import type { FriendsStore } from './friendsStore';
import { useFriends } from './useFriends';

/**
 * A friend request that just arrived, wherever the user is: accept, decline, or later (it
 * stays under Friends). The app hides it while the Friends screen, which lists it, shows.
 */
export function FriendRequestBanner() {
  const { store, state } = useFriends();
  const request = bannerRequest(state);
  // Keyed: the next request starts without the last one's error.
  return request ? <RequestBanner key={request.id} store={store} request={request} /> : null;
}

function RequestBanner({ store, request }: { store: FriendsStore; request: FriendRequest }) {
  const { t } = useTranslation(['friends']);
  const action = useAction();
  const name = request.from.displayName;
  return (
    <View testID="request-banner" style={styles.banner} accessibilityRole="alert" accessibilityLiveRegion="polite">
      <View style={styles.textBox}>
        <Text style={styles.text} numberOfLines={2}>
          <Trans
            t={t}
            i18nKey="friends:request.bannerText"
            values={{ name }}
            components={{ bold: <Text style={styles.name} /> }}
          />
        </Text>
        {action.error ? <Text style={styles.error}>{action.error}</Text> : null}
      </View>
      <View style={styles.actions}>
        <RequestAnswers request={request} store={store} action={action} />
        <Button
          testID="dismiss-friend-request"
          variant="link"
          title={t('friends:request.later')}
          accessibilityLabel={t('friends:request.laterLabel')}
          onPress={() => store.dismiss(request.id)}
        />
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  banner: {
    flexDirection: 'row',
    flexWrap: 'wrap',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: space.s,
    padding: space.m,
    backgroundColor: colors.surfaceRaised,
    borderBottomColor: colors.accent,
    borderBottomWidth: 2,
  },
  textBox: { flexShrink: 1, gap: space.xs },
  text: { color: colors.text, fontSize: 15 },
  name: { fontWeight: '700' },
  error: { color: colors.danger, fontSize: 13 },
  actions: { flexDirection: 'row', alignItems: 'center', gap: space.s },
});
