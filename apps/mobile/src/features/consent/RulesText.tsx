import { useMemo } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { colors, space } from '../../ui/theme';
import { parseMarkdown } from './markdown';

/** The community rules' Markdown as readable text: headings, lists and paragraphs. */
export function RulesText({ markdown, testID }: { markdown: string; testID?: string }) {
  const blocks = useMemo(() => parseMarkdown(markdown), [markdown]);
  return (
    <View testID={testID} style={styles.root}>
      {blocks.map((block, i) =>
        block.kind === 'heading' ? (
          <Text key={i} accessibilityRole="header" style={[styles.heading, block.level === 1 && styles.title]}>
            {block.text}
          </Text>
        ) : block.kind === 'item' ? (
          <View key={i} style={styles.item}>
            <Text style={styles.marker}>{block.marker}</Text>
            <Text style={styles.text}>{block.text}</Text>
          </View>
        ) : (
          <Text key={i} style={styles.text}>
            {block.text}
          </Text>
        ),
      )}
    </View>
  );
}

const styles = StyleSheet.create({
  root: { gap: space.s },
  title: { fontSize: 20 },
  heading: { color: colors.text, fontSize: 17, fontWeight: '700', marginTop: space.s },
  item: { flexDirection: 'row', gap: space.s },
  marker: { color: colors.textMuted, minWidth: 18 },
  text: { color: colors.text, lineHeight: 21, flexShrink: 1 },
});
