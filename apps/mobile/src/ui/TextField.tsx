import { StyleSheet, Text, TextInput, type TextInputProps } from 'react-native';
import { colors, space } from './theme';

export interface TextFieldProps extends Omit<TextInputProps, 'placeholderTextColor'> {
  /** Shown above the field. */
  label?: string;
  /**
   * The label's nativeID, for a field whose spoken label is longer than the one shown (Android
   * reads the shown one through accessibilityLabelledBy; accessibilityLabel says the rest).
   */
  labelID?: string;
  /** A line under the field: what to type in it. */
  hint?: string;
}

/**
 * A text field of a form, with its label above and hint below when it has them. It renders no
 * wrapper of its own, so the form's gap spaces the label, field and hint as it spaces its other
 * rows. `style` changes the field's look where a screen wants another (a code, a field in a card);
 * it overrides padding by edge (`paddingHorizontal`, `paddingVertical`), as the field sets it.
 */
export function TextField({ label, labelID, hint, style, multiline, ...input }: TextFieldProps) {
  return (
    <>
      {label !== undefined && (
        <Text style={styles.label} nativeID={labelID}>
          {label}
        </Text>
      )}
      <TextInput
        style={[styles.input, multiline && styles.multiline, style]}
        placeholderTextColor={colors.textMuted}
        multiline={multiline}
        accessibilityLabelledBy={labelID}
        {...input}
      />
      {hint !== undefined && <Text style={styles.hint}>{hint}</Text>}
    </>
  );
}

const styles = StyleSheet.create({
  label: { color: colors.text, fontSize: 16, fontWeight: '600', marginTop: space.s },
  input: {
    backgroundColor: colors.surface,
    color: colors.text,
    borderColor: colors.border,
    borderWidth: 1,
    borderRadius: 10,
    paddingHorizontal: space.m,
    paddingVertical: space.m,
    fontSize: 16,
  },
  // Android centres a multiline field's text vertically; notes and appeals start at the top.
  multiline: { textAlignVertical: 'top' },
  hint: { color: colors.textMuted, fontSize: 13 },
});
