import { useEffect, useRef } from 'react';
import { Platform, type View } from 'react-native';

/**
 * For what opens over a screen and wants an answer (a ringing call, the report sheet): on the
 * web the keyboard focus moves onto it as it opens, so a screen reader reads it and the next
 * Tab reaches its own buttons rather than those of the screen under it; when it closes, the
 * focus goes back to where it was (the Report button, say) if that is still there. Give the
 * ref to the View that opens, with `tabIndex={-1}` (focusable from code, not a Tab stop).
 * Phones keep VoiceOver and TalkBack inside it by `accessibilityViewIsModal`: nothing to do here.
 */
export function useFocusOnOpen() {
  const ref = useRef<View>(null);
  useEffect(() => {
    if (Platform.OS !== 'web') return;
    // react-native-web's View is its DOM element.
    const opened = ref.current as unknown as HTMLElement | null;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    opened?.focus();
    return () => {
      const now = document.activeElement;
      const lost = now === null || now === document.body || (opened?.contains(now) ?? false);
      if (lost && before?.isConnected) before.focus();
    };
  }, []);
  return ref;
}
