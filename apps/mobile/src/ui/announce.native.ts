/**
 * Tells screen readers what happened when nothing on screen takes the focus (a call connecting,
 * the peer leaving, a chat message arriving): VoiceOver and TalkBack, through the platform's
 * own announcement. iOS queues it behind what VoiceOver is saying instead of cutting it off.
 */
import { useEffect } from 'react';
import { AccessibilityInfo, Platform } from 'react-native';

/** Says `text` to a screen reader, after what it is saying now. */
export function announce(text: string): void {
  if (text.trim() === '') return;
  if (Platform.OS === 'ios') AccessibilityInfo.announceForAccessibilityWithOptions(text, { queue: true });
  else AccessibilityInfo.announceForAccessibility(text);
}

/** Announces `text` each time it changes to a new one; null says nothing. */
export function useAnnouncement(text: string | null): void {
  useEffect(() => {
    if (text) announce(text);
  }, [text]);
}
