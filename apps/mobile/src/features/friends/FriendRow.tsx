import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import type { Friend } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import type { FriendsStore } from './friendsStore';
import { rowStyles } from './rowStyles';
import { presenceColor, presenceText } from './presence';
import { useAction } from './useAction';

export interface FriendRowProps {
  friend: Friend;
  store: FriendsStore;
  /** Rings the friend; offered while it is online. */
  onCall(): void;
}

/** A friend: name, presence (live), Call, and Remove (asked twice: it can't be undone from here). */
export function FriendRow({ friend, store, onCall }: FriendRowProps) {
  const { id, displayName } = friend.user;
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
            {presenceText[friend.presence]}
          </Text>
        </View>
        {action.error ? <Text style={rowStyles.error}>{action.error}</Text> : null}
      </View>
      {confirming ? (
        <View style={rowStyles.actions}>
          <Button testID="cancel-unfriend" variant="link" title="Keep" onPress={() => setConfirming(false)} />
          <Button
            testID="confirm-unfriend"
            variant="danger"
            title="Remove"
            accessibilityLabel={`Remove ${displayName} from your friends`}
            busy={action.busy === 'unfriend'}
            onPress={() => action.run('unfriend', () => store.unfriend(id))}
          />
        </View>
      ) : (
        <View style={rowStyles.actions}>
          <Button testID="unfriend" variant="link" title="Remove" accessibilityLabel={`Remove ${displayName} from your friends`} onPress={() => setConfirming(true)} />
          <Button
            testID="call-friend"
            title="Call"
            accessibilityLabel={`Call ${displayName}`}
            disabled={friend.presence !== 'online'}
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
