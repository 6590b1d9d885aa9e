import { Pressable, StyleSheet, Text, View } from 'react-native';
import { spaceActivates } from './keys';
import { colors, space } from './theme';

export interface SwitchRowProps {
  testID: string;
  label: string;
  /** A line under the label saying what the choice does. */
  detail?: string;
  on: boolean;
  onChange(on: boolean): void;
}

/** An on/off choice with its label, announced as a switch. */
export function SwitchRow({ testID, label, detail, on, onChange }: SwitchRowProps) {
  return (
    <Pressable
      testID={testID}
      role="switch"
      // aria-checked is what react-native-web renders (and what browser tests read); accessibilityState is the native one.
      aria-checked={on}
      accessibilityState={{ checked: on }}
      accessibilityLabel={label}
      onPress={() => onChange(!on)}
      {...spaceActivates(() => onChange(!on))}
      style={styles.row}
    >
      <View style={styles.words}>
        <Text style={styles.text}>{label}</Text>
        {detail ? <Text style={styles.muted}>{detail}</Text> : null}
      </View>
      <View style={[styles.track, on && styles.trackOn]}>
        <View style={[styles.knob, on && styles.knobOn]} />
      </View>
    </Pressable>
  );
}

const styles = StyleSheet.create({
  row: {
    flexDirection: 'row',
    alignItems: 'center',
    gap: space.m,
    backgroundColor: colors.surface,
    borderRadius: 12,
    padding: space.m,
  },
  words: { flex: 1, gap: space.xs },
  text: { color: colors.text, fontSize: 16 },
  muted: { color: colors.textMuted, fontSize: 13 },
  track: { width: 44, height: 26, borderRadius: 13, backgroundColor: colors.border, padding: 3 },
  trackOn: { backgroundColor: colors.accent },
  knob: { width: 20, height: 20, borderRadius: 10, backgroundColor: '#fff' },
  knobOn: { marginLeft: 18 },
});
