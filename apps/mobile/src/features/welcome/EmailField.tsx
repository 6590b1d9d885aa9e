import { useTranslation } from 'react-i18next';
import { TextField, type TextFieldProps } from '../../ui/TextField';

/** An e-mail address field: named and typed as one (no capitals, the address keyboard, the device's autofill). */
export function EmailField(
  props: Omit<
    TextFieldProps,
    'placeholder' | 'accessibilityLabel' | 'autoCapitalize' | 'autoComplete' | 'keyboardType'
  >,
) {
  const { t } = useTranslation(['common']);
  return (
    <TextField
      placeholder={t('common:email')}
      autoCapitalize="none"
      autoComplete="email"
      keyboardType="email-address"
      accessibilityLabel={t('common:email')}
      {...props}
    />
  );
}
