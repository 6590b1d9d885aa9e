import { useEffect } from 'react';
import { ActivityIndicator, ScrollView, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { SmallTalkClient } from '@small-talk/client';
import type { User } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { Button } from '../../ui/Button';
import { ScreenHeader } from '../../ui/ScreenHeader';
import { colors, space } from '../../ui/theme';
import { FriendRow } from './FriendRow';
import { IncomingRequestRow, OutgoingRequestRow } from './RequestRow';
import { useCallFriend } from '../directCall/useCallFriend';
import { useFriends } from './useFriends';

export interface FriendsScreenProps {
  client: SmallTalkClient;
  user: User;
  onBack(): void;
  /** Offered to guests: an account keeps their friends. */
  onCreateAccount(): void;
}

/** Friends with their presence, requests both ways, and a call button for whoever is online. */
export function FriendsScreen({ client, user, onBack, onCreateAccount }: FriendsScreenProps) {
  const { t } = useTranslation(['friends', 'common']);
  const { store, state } = useFriends();
  const calling = useCallFriend(client);

  // Opening the screen loads the list afresh: presence may have changed while the socket was away.
  useEffect(() => store.refresh(), [store]);

  const error = calling.error ?? (state.error === null ? null : describeApiError(state.error));
  const empty = state.friends.length === 0 && state.incoming.length === 0 && state.outgoing.length === 0;

  return (
    <View testID="friends" style={styles.root}>
      <ScreenHeader
        title={t('friends:title')}
        back={
          <Button
            testID="friends-back"
            variant="link"
            title={t('friends:back')}
            accessibilityLabel={t('friends:backLabel')}
            onPress={onBack}
          />
        }
      />

      {user.kind === 'guest' && (
        <View style={styles.guest}>
          <Text style={styles.guestText}>{t('friends:guest.text')}</Text>
          <Button
            testID="keep-friends"
            variant="secondary"
            title={t('friends:guest.createAccount')}
            onPress={onCreateAccount}
          />
        </View>
      )}

      {error ? (
        <View style={styles.errorRow}>
          <Text testID="friends-error" style={styles.error} accessibilityRole="alert">
            {error}
          </Text>
          {state.status === 'failed' && (
            <Button variant="link" title={t('friends:retry')} onPress={() => store.refresh()} />
          )}
        </View>
      ) : null}

      {state.status === 'loading' ? (
        <ActivityIndicator color={colors.accent} style={styles.loading} accessibilityLabel={t('common:loading')} />
      ) : (
        <ScrollView contentContainerStyle={styles.list}>
          {state.incoming.length > 0 && <Section title={t('friends:sections.requests')} />}
          {state.incoming.map((request) => (
            <IncomingRequestRow key={request.id} request={request} store={store} />
          ))}

          {state.friends.length > 0 && <Section title={t('friends:sections.friends')} />}
          {state.friends.map((friend) => (
            <FriendRow key={friend.user.id} friend={friend} store={store} onCall={() => calling.call(friend.user)} />
          ))}

          {state.outgoing.length > 0 && <Section title={t('friends:sections.waiting')} />}
          {state.outgoing.map((request) => (
            <OutgoingRequestRow key={request.id} request={request} store={store} />
          ))}

          {empty && state.status === 'ready' && <Text style={styles.empty}>{t('friends:empty')}</Text>}
        </ScrollView>
      )}
    </View>
  );
}

function Section({ title }: { title: string }) {
  return (
    <Text style={styles.section} accessibilityRole="header">
      {title}
    </Text>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.l },
  guest: {
    flexDirection: 'row',
    flexWrap: 'wrap',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: space.s,
    marginTop: space.m,
    padding: space.m,
    borderRadius: 12,
    borderWidth: 1,
    borderColor: colors.accent,
    backgroundColor: colors.surface,
  },
  guestText: { color: colors.text, fontSize: 15, flexShrink: 1 },
  errorRow: { flexDirection: 'row', alignItems: 'center', gap: space.s, marginTop: space.s },
  error: { color: colors.danger, flexShrink: 1 },
  loading: { marginTop: space.xl },
  list: { paddingVertical: space.m, gap: space.s },
  section: {
    color: colors.textMuted,
    fontSize: 13,
    fontWeight: '600',
    textTransform: 'uppercase',
    letterSpacing: 1,
    marginTop: space.s,
  },
  empty: { color: colors.textMuted, textAlign: 'center', marginTop: space.xl },
});
