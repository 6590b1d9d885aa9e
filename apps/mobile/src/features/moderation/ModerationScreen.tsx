import { useState } from 'react';
import { ScrollView, StyleSheet, Text, View } from 'react-native';
import type { OwnUser } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { AppealsList } from './AppealsList';
import { AuditLog } from './AuditLog';
import { CasePage } from './CasePage';
import { CaseQueue } from './CaseQueue';

type Part = 'queue' | 'appeals' | 'audit';

/** The moderators' console: the queue of cases (and a case's page), the appeals, and the audit log. */
export function ModerationScreen({ me, onBack }: { me: OwnUser; onBack(): void }) {
  const [part, setPart] = useState<Part>('queue');
  const [openCase, setOpenCase] = useState<string | null>(null);
  const show = (next: Part) => {
    setPart(next);
    setOpenCase(null);
  };
  return (
    <View testID="moderation" style={styles.root}>
      <View style={styles.header}>
        <Button testID="moderation-back" variant="link" title="‹ Back" onPress={onBack} />
        <Text style={styles.title} accessibilityRole="header">
          Moderation
        </Text>
      </View>
      <View style={styles.tabs} accessibilityRole="tablist">
        <Tab part="queue" title="Queue" current={part} onPress={show} />
        <Tab part="appeals" title="Appeals" current={part} onPress={show} />
        <Tab part="audit" title="Audit log" current={part} onPress={show} />
      </View>
      <ScrollView contentContainerStyle={styles.content}>
        {part === 'queue' && (openCase ? <CasePage userId={openCase} onBack={() => setOpenCase(null)} /> : <CaseQueue onOpen={setOpenCase} />)}
        {part === 'appeals' && <AppealsList me={me} />}
        {part === 'audit' && <AuditLog />}
      </ScrollView>
    </View>
  );
}

function Tab({ part, title, current, onPress }: { part: Part; title: string; current: Part; onPress(part: Part): void }) {
  return <Button testID={`mod-tab-${part}`} variant={part === current ? 'secondary' : 'link'} title={title} selected={part === current} onPress={() => onPress(part)} />;
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.l },
  header: { flexDirection: 'row', alignItems: 'center', gap: space.s },
  title: { color: colors.text, fontSize: 22, fontWeight: '700' },
  tabs: { flexDirection: 'row', gap: space.s, paddingVertical: space.s },
  content: { paddingVertical: space.m, gap: space.m, maxWidth: 900 },
});
