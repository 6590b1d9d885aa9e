import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { SmallTalkClient } from '@small-talk/client';
import type { Peer } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { CallScreen } from '../call/CallScreen';
import { AskingForCamera, CameraProblem } from '../call/MediaStatus';
import { useDirectRoom } from './useDirectRoom';

export interface DirectCallFlowProps {
  client: SmallTalkClient;
  /** The friend on the other end, for the wait before the room. */
  peer: Peer;
  /** Next, in a call between friends: back to Friends (there is no queue to go on with). */
  onNext(): void;
  /** End or Cancel: back where the user came from (unmounting leaves the room). */
  onEnd(): void;
}

/** A call between friends: the same Call screen as a match, without a category or a search. */
export function DirectCallFlow({ client, peer, onNext, onEnd }: DirectCallFlowProps) {
  const { t } = useTranslation(['call']);
  const direct = useDirectRoom(client);
  const { media, room } = direct;

  if (room && media.status === 'ready') {
    return (
      <CallScreen
        client={client}
        room={room}
        call={direct.call}
        callFailed={direct.callFailed}
        roomEnd={direct.roomEnd}
        localStream={media.stream}
        categoryName={null}
        direct
        onNext={onNext}
        onEnd={onEnd}
      />
    );
  }
  return (
    <View testID="direct-call-connecting" style={styles.root}>
      <View style={styles.body}>
        {media.status === 'requesting' && <AskingForCamera />}
        {media.status === 'failed' && <CameraProblem problem={media.problem} onRetry={direct.retryMedia} />}
        {media.status === 'ready' &&
          (direct.endedBeforeRoom ? (
            <Text testID="direct-call-ended" style={styles.title} accessibilityRole="alert">
              {t('call:direct.ended', { name: peer.displayName })}
            </Text>
          ) : (
            <Text style={styles.title} accessibilityRole="header">
              {t('call:connectingTo', { name: peer.displayName })}
            </Text>
          ))}
      </View>
      <Button
        testID="cancel-direct-call"
        variant="secondary"
        title={direct.endedBeforeRoom ? t('call:direct.back') : t('call:direct.cancel')}
        onPress={onEnd}
      />
    </View>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.xl, justifyContent: 'space-between' },
  body: { flex: 1, alignItems: 'center', justifyContent: 'center', gap: space.m, maxWidth: 480, alignSelf: 'center' },
  title: { color: colors.text, fontSize: 22, fontWeight: '700', textAlign: 'center' },
});
