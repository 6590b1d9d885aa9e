import { useEffect, useRef, useState } from 'react';
import { ScrollView, StyleSheet, Text, TextInput, View, type StyleProp, type ViewStyle } from 'react-native';
import { useTranslation } from 'react-i18next';
import { MAX_CHAT_CHARS } from '@small-talk/protocol';
import type { SmallTalkClient } from '@small-talk/client';
import { announce } from '../../ui/announce';
import { isolated } from '../../ui/bidi';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { useChat } from './useChat';

export interface ChatPanelProps {
  client: SmallTalkClient;
  roomId: string;
  peerName: string;
  /** The room is over: the lines stay readable, nothing more can be sent. */
  ended: boolean;
  style?: StyleProp<ViewStyle>;
}

/** Text beside the video. Mount one per room (key it by roomId): its lines belong to that room. */
export function ChatPanel({ client, roomId, peerName, ended, style }: ChatPanelProps) {
  const { t } = useTranslation(['chat']);
  const { lines, peerTyping, send, typing } = useChat(client, roomId);
  useAnnouncedLines(lines, peerName);
  const peer = isolated(peerName);
  const [draft, setDraft] = useState('');
  const scroll = useRef<ScrollView>(null);

  const submit = () => {
    if (ended) return;
    if (send(draft)) setDraft('');
  };

  return (
    <View style={[styles.panel, style]}>
      {/* Focusable once it has lines, so a keyboard can scroll back through them (they hold no control). */}
      <ScrollView
        ref={scroll}
        style={styles.lines}
        contentContainerStyle={styles.linesContent}
        onContentSizeChange={() => scroll.current?.scrollToEnd({ animated: true })}
        focusable={lines.length > 0}
        role="region"
        accessibilityLabel={t('chat:messagesLabel')}
      >
        {lines.length === 0 && <Text style={styles.empty}>{t('chat:sayHi', { name: peer })}</Text>}
        {lines.map((line) => (
          <View key={line.id} style={[styles.bubble, line.mine ? styles.mine : styles.theirs]}>
            <Text
              testID="chat-message"
              style={[styles.text, line.mine && styles.mineText]}
              accessibilityLabel={t('chat:line', { who: line.mine ? t('chat:you') : peerName, text: line.text })}
            >
              {line.mine ? line.text : isolated(line.text)}
            </Text>
          </View>
        ))}
      </ScrollView>
      <View style={styles.typingRow} accessibilityLiveRegion="polite">
        {peerTyping && !ended && (
          <Text testID="peer-typing" style={styles.typing}>
            {t('chat:typing', { name: peer })}
          </Text>
        )}
      </View>
      <View style={styles.inputRow}>
        <TextInput
          testID="chat-input"
          style={styles.input}
          value={draft}
          onChangeText={(text) => {
            setDraft(text);
            if (text !== '' && !ended) typing();
          }}
          onSubmitEditing={submit}
          // Enter sends and the field keeps focus, as in any chat. react-native-web reads only
          // the older blurOnSubmit; native reads submitBehavior (which overrides it).
          submitBehavior="submit"
          blurOnSubmit={false}
          returnKeyType="send"
          placeholder={ended ? t('chat:ended') : t('chat:placeholder')}
          placeholderTextColor={colors.textMuted}
          maxLength={MAX_CHAT_CHARS}
          editable={!ended}
          accessibilityLabel={t('chat:inputLabel')}
        />
        <Button testID="chat-send" title={t('chat:send')} onPress={submit} disabled={ended || draft.trim() === ''} />
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  panel: { backgroundColor: colors.surface, padding: space.s, gap: space.xs },
  lines: { flex: 1 },
  linesContent: { gap: space.xs, paddingVertical: space.xs },
  empty: { color: colors.textMuted, textAlign: 'center', marginTop: space.m },
  bubble: { maxWidth: '85%', paddingHorizontal: space.m, paddingVertical: space.s, borderRadius: 14 },
  mine: { alignSelf: 'flex-end', backgroundColor: colors.accent },
  theirs: { alignSelf: 'flex-start', backgroundColor: colors.surfaceRaised },
  text: { color: colors.text, fontSize: 15 },
  // Light words on the accent blue fall below AA contrast: the theme's text for coloured fills.
  mineText: { color: colors.accentText },
  // Keeps its height when empty, so the input doesn't jump as the indicator comes and goes.
  typingRow: { minHeight: 18 },
  typing: { color: colors.textMuted, fontSize: 13, fontStyle: 'italic' },
  inputRow: { flexDirection: 'row', gap: space.s, alignItems: 'center' },
  input: {
    flex: 1,
    backgroundColor: colors.background,
    color: colors.text,
    borderRadius: 20,
    borderWidth: 1,
    borderColor: colors.border,
    paddingHorizontal: space.m,
    paddingVertical: space.s,
    fontSize: 15,
  },
});

/** Each message from the peer is said to a screen reader as it arrives, once; the user's own are not. */
function useAnnouncedLines(lines: ReturnType<typeof useChat>['lines'], peerName: string): void {
  const { t } = useTranslation(['a11y']);
  // Line ids only grow: everything up to this one has been dealt with.
  const heard = useRef(0);
  useEffect(() => {
    for (const line of lines) {
      if (line.id <= heard.current) continue;
      heard.current = line.id;
      if (!line.mine) announce(t('a11y:message', { name: peerName, text: line.text }));
    }
  }, [lines, peerName, t]);
}
