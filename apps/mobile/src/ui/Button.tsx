import type { ReactNode } from 'react';
import { ActivityIndicator, Pressable, StyleSheet, Text, type StyleProp, type ViewStyle } from 'react-native';
import { colors, space } from './theme';

export interface ButtonProps {
  title: string;
  onPress: () => void;
  testID?: string;
  disabled?: boolean;
  /** Shows a spinner and ignores presses, e.g. while a request is on its way. */
  busy?: boolean;
  variant?: 'primary' | 'secondary' | 'danger' | 'link';
  /** Read by screen readers when the title alone is ambiguous (icons, toggles). */
  accessibilityLabel?: string;
  /** For toggles (mic, camera): announced as pressed / not pressed. */
  selected?: boolean;
  icon?: ReactNode;
  style?: StyleProp<ViewStyle>;
}

export function Button({
  title,
  onPress,
  testID,
  disabled = false,
  busy = false,
  variant = 'primary',
  accessibilityLabel,
  selected,
  icon,
  style,
}: ButtonProps) {
  const inactive = disabled || busy;
  return (
    <Pressable
      testID={testID}
      accessibilityRole="button"
      accessibilityLabel={accessibilityLabel}
      accessibilityState={{ disabled: inactive, busy, selected }}
      // What react-native-web renders (it ignores accessibilityState): the button says it is working.
      aria-busy={busy}
      disabled={inactive}
      onPress={onPress}
      style={({ pressed }) => [
        styles.base,
        styles[variant],
        inactive && styles.disabled,
        pressed && styles.pressed,
        style,
      ]}
    >
      {/* The button itself says it is busy: its spinner is no second, nameless thing to read. */}
      {busy ? <ActivityIndicator color={textColor[variant]} aria-hidden /> : icon}
      <Text style={[styles.text, textStyles[variant]]}>{title}</Text>
    </Pressable>
  );
}

/** Each variant's words at AA contrast on its own fill (theme.ts). */
const textColor: Record<NonNullable<ButtonProps['variant']>, string> = {
  primary: colors.accentText,
  secondary: colors.text,
  danger: colors.accentText,
  link: colors.accent,
};

const textStyles = StyleSheet.create({
  primary: { color: textColor.primary },
  secondary: { color: textColor.secondary },
  danger: { color: textColor.danger },
  link: { color: textColor.link },
});

const styles = StyleSheet.create({
  base: {
    minHeight: 44,
    paddingHorizontal: space.l,
    borderRadius: 22,
    alignItems: 'center',
    justifyContent: 'center',
    flexDirection: 'row',
    gap: space.s,
  },
  primary: { backgroundColor: colors.accent },
  secondary: { backgroundColor: colors.surfaceRaised },
  danger: { backgroundColor: colors.danger },
  link: { backgroundColor: 'transparent', paddingHorizontal: space.s },
  disabled: { opacity: 0.45 },
  pressed: { opacity: 0.8 },
  text: { fontSize: 16, fontWeight: '600' },
});
