import { Platform } from 'react-native';

/** The part of a key press this needs (react-native-web hands over React's DOM keyboard event). */
interface KeyDown {
  nativeEvent: { key: string; repeat?: boolean };
  preventDefault(): void;
}

/**
 * Space ticks a checkbox, flips a switch, picks a radio button or a tab, as a keyboard user
 * expects (WAI-ARIA's patterns); react-native-web's Pressable answers Space only for buttons,
 * Enter for the rest. Spread onto such a Pressable: `<Pressable role="checkbox" {...spaceActivates(toggle)}>`.
 * Web only: on phones a hardware keyboard's Space already presses the focused control, and a
 * second handler would undo the first.
 */
export function spaceActivates(activate: () => void): { onKeyDown?(event: KeyDown): void } {
  if (Platform.OS !== 'web') return {};
  return {
    onKeyDown(event) {
      const { key, repeat } = event.nativeEvent;
      if (key !== ' ' || repeat) return;
      // Or the page scrolls by a screen as well.
      event.preventDefault();
      activate();
    },
  };
}
