import type { StyleProp, ViewStyle } from 'react-native';
import type { Peer } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { useAddFriend } from './useAddFriend';

/** What `add-friend` says once asked: exactly these words (tests outside this repository read them). */
const doneTitle = { requested: 'request sent', friends: 'friends' } as const;

/**
 * Add friend, then "request sent" or "friends"; a failed try offers itself again. Key it by
 * the room (or history row): a new peer starts afresh.
 */
export function AddFriendButton({ peer, style }: { peer: Peer; style?: StyleProp<ViewStyle> }) {
  const { state, error, add } = useAddFriend(peer);
  const done = state === 'requested' || state === 'friends' ? state : null;
  const name = peer.displayName;
  let title = 'Add friend';
  let label = `Add ${name} as a friend`;
  if (done === 'friends') [title, label] = [doneTitle.friends, `${name} is your friend`];
  else if (done === 'requested') [title, label] = [doneTitle.requested, `Friend request sent to ${name}`];
  else if (error) [title, label] = ['Try again', `Add ${name} as a friend. The last try failed: ${error}`];
  return <Button testID="add-friend" variant="secondary" title={title} accessibilityLabel={label} busy={state === 'sending'} disabled={done !== null} onPress={add} style={style} />;
}
