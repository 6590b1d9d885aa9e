import type { StyleProp, ViewStyle } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { Peer } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { useAddFriend } from './useAddFriend';

/**
 * Add friend, then "request sent" or "friends" (in English exactly these words: tests outside
 * this repository read them); a failed try offers itself again. Key it by the room (or history
 * row): a new peer starts afresh.
 */
export function AddFriendButton({ peer, style }: { peer: Peer; style?: StyleProp<ViewStyle> }) {
  const { t } = useTranslation(['friends']);
  const { state, error, add } = useAddFriend(peer);
  const done = state === 'requested' || state === 'friends' ? state : null;
  const name = peer.displayName;
  let title = t('friends:add.add');
  let label = t('friends:add.addLabel', { name });
  if (done === 'friends') [title, label] = [t('friends:add.friends'), t('friends:add.friendsLabel', { name })];
  else if (done === 'requested')
    [title, label] = [t('friends:add.requested'), t('friends:add.requestedLabel', { name })];
  else if (error) [title, label] = [t('friends:add.retry'), t('friends:add.retryLabel', { name, error })];
  return (
    <Button
      testID="add-friend"
      variant="secondary"
      title={title}
      accessibilityLabel={label}
      busy={state === 'sending'}
      disabled={done !== null}
      onPress={add}
      style={style}
    />
  );
}
