import { Platform } from 'react-native';
import { useTranslation } from 'react-i18next';
import { SwitchRow } from '../../ui/SwitchRow';
import { useShieldSetting } from './useShieldSetting';

/** The Safety screen's switch for the shield: on by default, kept on this device. */
export function ShieldSettingRow() {
  const { t } = useTranslation(['shield']);
  const { on, set } = useShieldSetting();
  // What the shield does here, in a sentence: phones can only hide, the web checks.
  const whatItDoes = Platform.OS === 'web' ? t('shield:setting.onWeb') : t('shield:setting.onNative');
  return (
    <SwitchRow
      testID="shield-setting"
      label={t('shield:setting.label')}
      detail={on ? whatItDoes : t('shield:setting.off')}
      on={on}
      onChange={set}
    />
  );
}
