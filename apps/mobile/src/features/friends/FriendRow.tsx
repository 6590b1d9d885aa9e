import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { Friend } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import type { FriendsStore } from './friendsStore';
import { rowStyles } from './rowStyles';
import { presenceColor } from './presence';
import { useAction } from './useAction';

export interface FriendRowProps {
  friend: Friend;
  store: FriendsStore;
  /** Rings the friend; offered while it is online. */
  onCall(): void;
}

/** A friend: name, presence (live), Call, and Remove (asked twice: it can't be undone from here). */
export function FriendRow({ friend, store, onCall }: FriendRowProps) {
  const { t } = useTranslation(['friends']);
  const { id, displayName } = friend.user;
  const name = displayName;
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  return (
    <View testID={`friend-${id}`} style={rowStyles.row}>
      <View style={rowStyles.main}>
        <Text style={rowStyles.name} numberOfLines={1}>
          {displayName}
        </Text>
        <View style={styles.presence}>
          <View style={[styles.dot, { backgroundColor: presenceColor[friend.presence] }]} />
          <Text testID={`presence-${id}`} style={styles.presenceText}>
            {t(`friends:presence.${friend.presence}`)}
          </Text>
        </View>
        {action.error ? <Text style={rowStyles.error}>{action.error}</Text> : null}
      </View>
      {confirming ? (
        <View style={rowStyles.actions}>
          <Button
            testID="cancel-unfriend"
            variant="link"
            title={t('friends:row.keep')}
            accessibilityLabel={t('friends:row.keepLabel', { name })}
            onPress={() => setConfirming(false)}
          />
          <Button
            testID="confirm-unfriend"
            variant="danger"
            title={t('friends:row.remove')}
            accessibilityLabel={t('friends:row.removeLabel', { name })}
            busy={action.busy === 'unfriend'}
            onPress={() => action.run('unfriend', () => store.unfriend(id))}
          />
        </View>
      ) : (
        <View style={rowStyles.actions}>
          <Button
            testID="unfriend"
            variant="link"
            title={t('friends:row.remove')}
            accessibilityLabel={t('friends:row.removeLabel', { name })}
            onPress={() => setConfirming(true)}
          />
          <Button
            testID="call-friend"
            title={t('friends:row.call')}
            accessibilityLabel={t('friends:row.callLabel', { name })}
            // An offline friend can be called too: the server rings their phone or installed app by
            // push, or answers `offline` at once when they have none. One in a call would be busy.
            disabled={friend.presence === 'in_call'}
            onPress={onCall}
          />
        </View>
      )}
    </View>
  );
}

const styles = StyleSheet.create({
  presence: { flexDirection: 'row', alignItems: 'center', gap: space.xs },
  dot: { width: 8, height: 8, borderRadius: 4 },
  presenceText: { color: colors.textMuted, fontSize: 13 },
});
