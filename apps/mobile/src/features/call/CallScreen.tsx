import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { StyleSheet, Text, useWindowDimensions, View } from 'react-native';
import type { Call, Room, SmallTalkClient } from '@small-talk/client';
import type { ReportReason } from '@small-talk/protocol';
import type { LocalStream } from '../../platform/types';
import { useServices } from '../../services';
import { isolated } from '../../ui/bidi';
import { useAnnouncement } from '../../ui/announce';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { ChatPanel } from '../chat/ChatPanel';
import { AddFriendButton } from '../friends/AddFriendButton';
import { BlockedCard } from '../report/BlockedCard';
import { useFrameRing } from '../report/frameRing';
import { languageName } from '../profile/languages';
import { ReportSheet } from '../report/ReportSheet';
import { useBlock } from '../report/useBlock';
import { ShieldBadge, ShieldOverlay } from '../shield/ShieldOverlay';
import { useShield } from '../shield/useShield';
import { callStatus, type CallStatus } from './callStatus';
import { useBackgroundCamera } from './useBackgroundCamera';
import { useCall } from './useCall';
import { useInCall } from './useInCall';
import { useLocalControls } from './useLocalControls';
import type { RoomEnd } from './useRoomCall';
import { useSocketState } from './useSocketState';

export interface CallScreenProps {
  client: SmallTalkClient;
  room: Room;
  call: Call | null;
  /** The call could not be set up (its STUN/TURN servers could not be fetched). */
  callFailed: boolean;
  roomEnd: RoomEnd | null;
  localStream: LocalStream;
  /** The room's category, as the user knows it (its name). */
  categoryName: string | null;
  /** A call between friends: Next goes back to Friends instead of searching. */
  direct?: boolean;
  onNext(): void;
  onEnd(): void;
}

/** Report or Block, pressed in this room: the report's sheet (with the snapshots taken as it opened), or the block's outcome. */
type SafetyStep =
  | { roomId: string; kind: 'report'; snapshots: Promise<Blob[]> | null; reason: ReportReason | null }
  | { roomId: string; kind: 'block' };

/** Side by side from this width on (tablets, desktop browsers); stacked below it (phones). */
const WIDE_LAYOUT_MIN_WIDTH = 760;

export function CallScreen({
  client,
  room,
  call,
  callFailed,
  roomEnd,
  localStream,
  categoryName,
  direct = false,
  onNext,
  onEnd,
}: CallScreenProps) {
  const { t } = useTranslation(['call']);
  const { platform } = useServices();
  const { VideoView } = platform;
  const { state: callState, remoteStream, poorNetwork } = useCall(call);
  const { state: socketState } = useSocketState(client);
  const controls = useLocalControls(localStream);
  // Screen awake and call audio while the room is live; the camera let go in the background (phones).
  useInCall(!roomEnd);
  useBackgroundCamera(localStream, call);
  const wide = useWindowDimensions().width >= WIDE_LAYOUT_MIN_WIDTH;
  // Frames of the peer kept on the device (web) while the call is live, for a report's snapshot.
  const frames = useFrameRing(roomEnd ? null : remoteStream);
  // The peer's video stays hidden until a check on this device finds it clean (or the user reveals it).
  const shield = useShield(roomEnd ? null : remoteStream, room.roomId);
  const blocker = useBlock(room.peer.id);
  const [step, setStep] = useState<SafetyStep | null>(null);
  // The room this screen left by Report or Block: its chat is over too.
  const [leftRoom, setLeftRoom] = useState<string | null>(null);
  const safety = step?.roomId === room.roomId ? step : null;
  const next = { title: direct ? t('call:controls.backToFriends') : t('call:meetSomeoneNew'), onPress: onNext };

  // Report and Block end the call at once, before the server answers (it ends the room too).
  const endRoom = () => {
    setLeftRoom(room.roomId);
    if (client.matchmaking.room?.roomId === room.roomId) client.matchmaking.leave();
    client.call?.close();
  };
  const openReport = (reason: ReportReason | null = null) =>
    setStep({ roomId: room.roomId, kind: 'report', snapshots: frames ? frames.take() : null, reason });
  const block = () => {
    endRoom();
    blocker.block();
    setStep({ roomId: room.roomId, kind: 'block' });
  };

  const status = callStatus({ roomEnd, callFailed, socket: socketState, call: callState, poorNetwork });
  const peerName = room.peer.displayName;
  useSpokenStatus(status, peerName);
  const nextLabel = direct ? t('call:controls.backToFriends') : t('call:controls.nextPerson');

  return (
    <View style={[styles.root, wide && styles.rootWide]}>
      <View style={styles.stage}>
        <VideoView
          testID="remote-video"
          stream={remoteStream}
          blurred={shield.hidden}
          objectFit={wide ? 'contain' : 'cover'}
          style={StyleSheet.absoluteFill}
        />
        {!remoteStream && !roomEnd && (
          <Text style={styles.placeholder}>{t('call:connectingTo', { name: peerName })}</Text>
        )}
        {remoteStream && !roomEnd && (
          <ShieldOverlay
            key={room.roomId}
            shield={shield}
            peerName={peerName}
            onReport={() => openReport('nudity')}
            onNext={onNext}
            nextLabel={nextLabel}
          />
        )}

        <View style={styles.topBar}>
          <View style={styles.who}>
            <Text testID="peer-name" style={styles.peerName} numberOfLines={1}>
              {peerName}
            </Text>
            {categoryName && <Text style={styles.category}>{categoryName}</Text>}
            <PeerIntro peer={room.peer} />
          </View>
          <View style={styles.badges}>
            <ShieldBadge shield={shield} />
            <StatusPill status={status} />
          </View>
        </View>

        <View style={styles.preview}>
          <VideoView
            testID="local-video"
            stream={localStream}
            mirror
            muted
            onTop
            objectFit="cover"
            style={StyleSheet.absoluteFill}
          />
          {!controls.cameraOn && <Text style={styles.previewOff}>{t('call:previewCameraOff')}</Text>}
        </View>

        {roomEnd && (
          <RoomEndedBanner
            roomEnd={roomEnd}
            peerName={peerName}
            direct={direct}
            nextLabel={nextLabel}
            onNext={onNext}
          />
        )}

        <View style={styles.controls}>
          <Button
            testID="toggle-mic"
            variant={controls.micOn ? 'secondary' : 'danger'}
            title={controls.micOn ? t('call:controls.mute') : t('call:controls.unmute')}
            accessibilityLabel={controls.micOn ? t('call:controls.muteLabel') : t('call:controls.unmuteLabel')}
            selected={!controls.micOn}
            onPress={controls.toggleMic}
            style={styles.control}
          />
          <Button
            testID="toggle-camera"
            variant={controls.cameraOn ? 'secondary' : 'danger'}
            title={controls.cameraOn ? t('call:controls.cameraOff') : t('call:controls.cameraOn')}
            accessibilityLabel={
              controls.cameraOn ? t('call:controls.cameraOffLabel') : t('call:controls.cameraOnLabel')
            }
            selected={!controls.cameraOn}
            onPress={controls.toggleCamera}
            style={styles.control}
          />
          {controls.switchCamera && (
            <Button
              testID="switch-camera"
              variant="secondary"
              title={t('call:controls.flip')}
              accessibilityLabel={t('call:controls.flipLabel')}
              onPress={controls.switchCamera}
              style={styles.control}
            />
          )}
          {/* Keyed by room: the next peer starts afresh. Stays after the room ends: that is when people decide. */}
          <AddFriendButton key={room.roomId} peer={room.peer} style={styles.control} />
          {/* Once the room is over, Next moves into the banner: one Next button on screen at a time. */}
          {!roomEnd && (
            <Button
              testID="next-button"
              title={t('call:controls.next')}
              accessibilityLabel={nextLabel}
              onPress={onNext}
              style={styles.control}
            />
          )}
          <Button
            testID="end-button"
            variant="danger"
            title={t('call:controls.end')}
            accessibilityLabel={t('call:controls.endLabel')}
            onPress={onEnd}
            style={styles.control}
          />
          <Button
            testID="report-button"
            variant="secondary"
            title={t('call:controls.report')}
            accessibilityLabel={t('call:controls.reportLabel', { name: peerName })}
            onPress={() => openReport()}
            style={styles.control}
          />
          <Button
            testID="block-button"
            variant="secondary"
            title={t('call:controls.block')}
            accessibilityLabel={t('call:controls.blockLabel', { name: peerName })}
            onPress={block}
            style={styles.control}
          />
        </View>
        {safety?.kind === 'report' && (
          <ReportSheet
            peer={room.peer}
            connectionId={room.roomId}
            snapshots={safety.snapshots}
            reason={safety.reason}
            onSubmit={endRoom}
            onCancel={() => setStep(null)}
            onDone={onEnd}
            next={next}
          />
        )}
        {safety?.kind === 'block' && (
          <BlockedCard peer={room.peer} state={blocker.state} onRetry={blocker.block} next={next} onClose={onEnd} />
        )}
      </View>

      <ChatPanel
        key={room.roomId}
        client={client}
        roomId={room.roomId}
        peerName={peerName}
        ended={roomEnd !== null || leftRoom === room.roomId}
        style={wide ? styles.chatSide : styles.chatBelow}
      />
    </View>
  );
}

/**
 * Tells a screen reader when the call's status changes, with the peer's name. A poor network is
 * still the same connected call, and "connecting" is what the screen says as it opens: nothing new.
 */
function useSpokenStatus(status: CallStatus, name: string): void {
  const { t } = useTranslation(['a11y']);
  let spoken: string | null = null;
  if (status === 'connected' || status === 'poor network') spoken = t('a11y:connected', { name });
  else if (status === 'reconnecting') spoken = t('a11y:reconnecting');
  else if (status === 'peer left') spoken = t('a11y:peerLeft', { name });
  else if (status === 'could not connect') spoken = t('a11y:couldNotConnect', { name });
  useAnnouncement(spoken);
}

function StatusPill({ status }: { status: CallStatus }) {
  const { t } = useTranslation(['call']);
  return (
    // Not a live region: the screen announces what the status means (useAnnouncement), with the peer's name.
    <View style={[styles.pill, { backgroundColor: statusColor[status] }]}>
      <Text testID="call-status" style={styles.pillText}>
        {t(statusKey[status])}
      </Text>
    </View>
  );
}

/** What the peer speaks and its bio, as the server introduced it; nothing when it set neither. */
function PeerIntro({ peer }: { peer: Room['peer'] }) {
  const { t } = useTranslation(['call']);
  const languages = peer.languages.map((code) => languageName(code)).join(', ');
  return (
    <>
      {languages ? (
        <Text
          testID="peer-languages"
          style={styles.category}
          numberOfLines={1}
          accessibilityLabel={t('call:speaks', { languages })}
        >
          {languages}
        </Text>
      ) : null}
      {peer.bio ? (
        <Text testID="peer-bio" style={styles.category} numberOfLines={2}>
          {isolated(peer.bio)}
        </Text>
      ) : null}
    </>
  );
}

function RoomEndedBanner({
  roomEnd,
  peerName,
  direct,
  nextLabel,
  onNext,
}: {
  roomEnd: RoomEnd;
  peerName: string;
  direct: boolean;
  nextLabel: string;
  onNext(): void;
}) {
  const { t } = useTranslation(['call']);
  return (
    // Not an alert: the screen has announced the peer leaving already (useSpokenStatus); the banner is where Next is.
    <View testID="room-ended" style={styles.banner}>
      <Text style={styles.bannerTitle}>
        {roomEnd === 'peer-left' ? t('call:ended.peerLeft', { name: peerName }) : t('call:ended.interrupted')}
      </Text>
      <Text style={styles.bannerText}>{direct ? t('call:ended.directHint') : t('call:ended.matchHint')}</Text>
      <Button testID="next-button" title={t('call:controls.next')} accessibilityLabel={nextLabel} onPress={onNext} />
    </View>
  );
}

/** The pill's words: English keeps exactly the status (`call-status` is read by tests outside this repository). */
const statusKey = {
  connecting: 'call:status.connecting',
  connected: 'call:status.connected',
  reconnecting: 'call:status.reconnecting',
  'poor network': 'call:status.poorNetwork',
  'peer left': 'call:status.peerLeft',
  'could not connect': 'call:status.couldNotConnect',
} as const satisfies Record<CallStatus, string>;

const statusColor: Record<CallStatus, string> = {
  connecting: colors.surfaceRaised,
  connected: '#1f7a52',
  reconnecting: '#8a6414',
  'poor network': '#8a6414',
  'peer left': colors.surfaceRaised,
  'could not connect': '#8c2630',
};

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: '#000' },
  rootWide: { flexDirection: 'row' },
  stage: { flex: 1, overflow: 'hidden' },
  placeholder: { position: 'absolute', top: '45%', alignSelf: 'center', color: colors.textMuted, fontSize: 16 },
  topBar: {
    position: 'absolute',
    top: 0,
    left: 0,
    right: 0,
    flexDirection: 'row',
    alignItems: 'center',
    justifyContent: 'space-between',
    padding: space.m,
    gap: space.s,
    backgroundColor: 'rgba(0,0,0,0.35)',
  },
  badges: { flexDirection: 'row', alignItems: 'center', gap: space.s },
  who: { flexDirection: 'row', alignItems: 'baseline', gap: space.s, flexShrink: 1 },
  peerName: { color: '#fff', fontSize: 18, fontWeight: '700', flexShrink: 1 },
  category: { color: '#ddd', fontSize: 14 },
  pill: { paddingHorizontal: space.m, paddingVertical: space.xs, borderRadius: 12 },
  pillText: { color: '#fff', fontSize: 13, fontWeight: '600' },
  preview: {
    position: 'absolute',
    top: 64,
    right: space.m,
    width: 112,
    height: 150,
    borderRadius: 10,
    overflow: 'hidden',
    borderWidth: 1,
    borderColor: 'rgba(255,255,255,0.3)',
    backgroundColor: '#111',
    alignItems: 'center',
    justifyContent: 'center',
  },
  previewOff: { color: '#ddd', fontSize: 12 },
  banner: {
    position: 'absolute',
    left: space.l,
    right: space.l,
    top: '38%',
    padding: space.l,
    gap: space.s,
    borderRadius: 14,
    backgroundColor: 'rgba(20,22,28,0.92)',
    alignItems: 'center',
  },
  bannerTitle: { color: colors.text, fontSize: 20, fontWeight: '700', textAlign: 'center' },
  bannerText: { color: colors.textMuted, textAlign: 'center' },
  control: { paddingHorizontal: space.m },
  controls: {
    position: 'absolute',
    bottom: 0,
    left: 0,
    right: 0,
    flexDirection: 'row',
    flexWrap: 'wrap',
    justifyContent: 'center',
    gap: space.s,
    padding: space.m,
    backgroundColor: 'rgba(0,0,0,0.35)',
  },
  chatSide: { width: 340 },
  chatBelow: { height: '38%' },
});
