import type { ReactNode } from 'react';
import { KeyboardAvoidingView, Platform, ScrollView, StyleSheet, Text } from 'react-native';
import { colors, space } from './theme';

export interface FormScreenProps {
  /** The screen's heading. */
  title: string;
  /** The app's own name on its first screen, larger than a form's title. */
  large?: boolean;
  children: ReactNode;
}

/**
 * A screen that is one short form (sign-in, a new password, a mailed code): a column in the
 * middle, its title first, that scrolls and stays above the keyboard (iOS needs the padding;
 * Android resizes the window by itself). A tap on a button while the keyboard is up presses it
 * rather than only closing the keyboard.
 */
export function FormScreen({ title, large = false, children }: FormScreenProps) {
  return (
    <KeyboardAvoidingView style={styles.root} behavior={Platform.OS === 'ios' ? 'padding' : undefined}>
      <ScrollView contentContainerStyle={styles.content} keyboardShouldPersistTaps="handled">
        <Text style={[styles.title, large && styles.large]} accessibilityRole="header">
          {title}
        </Text>
        {children}
      </ScrollView>
    </KeyboardAvoidingView>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background },
  content: {
    flexGrow: 1,
    justifyContent: 'center',
    padding: space.xl,
    gap: space.m,
    maxWidth: 420,
    width: '100%',
    alignSelf: 'center',
  },
  title: { color: colors.text, fontSize: 28, fontWeight: '700', textAlign: 'center' },
  large: { fontSize: 34 },
});
