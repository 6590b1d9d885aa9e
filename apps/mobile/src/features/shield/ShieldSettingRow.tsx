import { Platform } from 'react-native';
import { SwitchRow } from '../../ui/SwitchRow';
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
    <SwitchRow
      testID="shield-setting"
      label="Hide video that may show nudity"
      detail={on ? WHAT_IT_DOES : 'Off: video is shown as soon as it arrives.'}
      on={on}
      onChange={set}
    />
  );
}
