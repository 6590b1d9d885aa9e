import type { ReactNode } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { colors, space } from './theme';

export interface ScreenHeaderProps {
  title: string;
  /** The link back to where the user came from (a Button with the screen's own testID and label). */
  back: ReactNode;
}

/** A screen's title, announced as its heading, after the link back. */
export function ScreenHeader({ title, back }: ScreenHeaderProps) {
  return (
    <View style={styles.header}>
      {back}
      <Text style={styles.title} accessibilityRole="header">
        {title}
      </Text>
    </View>
  );
}

const styles = StyleSheet.create({
  header: { flexDirection: 'row', alignItems: 'center', gap: space.s },
  title: { color: colors.text, fontSize: 22, fontWeight: '700' },
});
