import { Platform, Pressable, StyleSheet, Text, View } from 'react-native';
import { colors, space } from '../../ui/theme';
import { useShieldSetting } from './useShieldSetting';

/** What the shield does here, in a sentence: phones can only hide, the web checks. */
const WHAT_IT_DOES =
  Platform.OS === 'web'
    ? "A stranger's video starts blurred and is shown once a check on this device finds it clean. Nothing about what the check sees leaves your device."
    : "A stranger's video starts hidden, and you choose to see it. Nothing about it leaves your phone.";

/** The Safety screen's switch for the shield: on by default, kept on this device. */
export function ShieldSettingRow() {
  const { on, set } = useShieldSetting();
  return (
    <Pressable
      testID="shield-setting"
      role="switch"
      // aria-checked is what react-native-web renders (and what browser tests read); accessibilityState is the native one.
      aria-checked={on}
      accessibilityState={{ checked: on }}
      accessibilityLabel="Hide video that may show nudity"
      onPress={() => set(!on)}
      style={styles.row}
    >
      <View style={styles.words}>
        <Text style={styles.text}>Hide video that may show nudity</Text>
        <Text style={styles.muted}>{on ? WHAT_IT_DOES : 'Off: video is shown as soon as it arrives.'}</Text>
      </View>
      <View style={[styles.track, on && styles.trackOn]}>
        <View style={[styles.knob, on && styles.knobOn]} />
      </View>
    </Pressable>
  );
}

const styles = StyleSheet.create({
  row: { flexDirection: 'row', alignItems: 'center', gap: space.m, backgroundColor: colors.surface, borderRadius: 12, padding: space.m },
  words: { flex: 1, gap: space.xs },
  text: { color: colors.text, fontSize: 16 },
  muted: { color: colors.textMuted, fontSize: 13 },
  track: { width: 44, height: 26, borderRadius: 13, backgroundColor: colors.border, padding: 3 },
  trackOn: { backgroundColor: colors.accent },
  knob: { width: 20, height: 20, borderRadius: 10, backgroundColor: '#fff' },
  knobOn: { marginLeft: 18 },
});
