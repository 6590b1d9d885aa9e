import { Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { FriendRequest } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import type { FriendsStore } from './friendsStore';
import { rowStyles } from './rowStyles';
import { RequestAnswers } from './RequestAnswers';
import { useAction } from './useAction';

/** A request someone sent this user: accept or decline. */
export function IncomingRequestRow({ request, store }: { request: FriendRequest; store: FriendsStore }) {
  const { t } = useTranslation(['friends']);
  const action = useAction();
  const name = request.from.displayName;
  return (
    <View testID={`incoming-request-${request.id}`} style={rowStyles.row}>
      <View style={rowStyles.main}>
        <Text style={rowStyles.name} numberOfLines={1}>
          {name}
        </Text>
        <Text style={rowStyles.muted}>{t('friends:request.wantsToBeFriends')}</Text>
        {action.error ? <Text style={rowStyles.error}>{action.error}</Text> : null}
      </View>
      <View style={rowStyles.actions}>
        <RequestAnswers request={request} store={store} action={action} />
      </View>
    </View>
  );
}

/** A request this user sent, still unanswered: it can be taken back. */
export function OutgoingRequestRow({ request, store }: { request: FriendRequest; store: FriendsStore }) {
  const { t } = useTranslation(['friends']);
  const action = useAction();
  const name = request.to.displayName;
  return (
    <View testID={`sent-request-${request.id}`} style={rowStyles.row}>
      <View style={rowStyles.main}>
        <Text style={rowStyles.name} numberOfLines={1}>
          {name}
        </Text>
        <Text style={rowStyles.muted}>{t('friends:request.sent')}</Text>
        {action.error ? <Text style={rowStyles.error}>{action.error}</Text> : null}
      </View>
      <Button
        testID="withdraw-friend-request"
        variant="secondary"
        title={t('friends:request.withdraw')}
        accessibilityLabel={t('friends:request.withdrawLabel', { name })}
        busy={action.busy === 'withdraw'}
        onPress={() => action.run('withdraw', () => store.withdraw(request.id))}
      />
    </View>
  );
}
