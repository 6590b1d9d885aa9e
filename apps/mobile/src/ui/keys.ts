/** The part of a key press this needs: react-native-web's DOM event and native's KeyDownEvent both have it. */
interface KeyDown {
  nativeEvent: { key: string; repeat?: boolean };
  preventDefault(): void;
}

/**
 * Space ticks a checkbox, flips a switch and picks a radio button, as a keyboard user expects
 * (WAI-ARIA's patterns); react-native-web's Pressable answers Space only for buttons, Enter for
 * the rest. Spread onto such a Pressable: `<Pressable role="checkbox" {...spaceActivates(toggle)}>`.
 * Native ignores it unless a hardware keyboard is attached, where it does the same.
 */
export function spaceActivates(activate: () => void): { onKeyDown(event: KeyDown): void } {
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
