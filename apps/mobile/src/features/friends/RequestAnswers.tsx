import { useTranslation } from 'react-i18next';
import type { FriendRequest } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import type { FriendsStore } from './friendsStore';
import type { Action } from './useAction';

/** Decline and Accept for a request someone sent: the same pair in the live banner and in the list. */
export function RequestAnswers({
  request,
  store,
  action,
}: {
  request: FriendRequest;
  store: FriendsStore;
  action: Action;
}) {
  const { t } = useTranslation(['friends']);
  const name = request.from.displayName;
  return (
    <>
      <Button
        testID="decline-friend"
        variant="secondary"
        title={t('friends:request.decline')}
        accessibilityLabel={t('friends:request.declineLabel', { name })}
        busy={action.busy === 'decline'}
        onPress={() => action.run('decline', () => store.decline(request.id))}
      />
      <Button
        testID="accept-friend"
        title={t('friends:request.accept')}
        accessibilityLabel={t('friends:request.acceptLabel', { name })}
        busy={action.busy === 'accept'}
        onPress={() => action.run('accept', () => store.accept(request.id))}
      />
    </>
  );
}
