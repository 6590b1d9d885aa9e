import { useState } from 'react';
import { Pressable, ScrollView, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { OwnUser } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { spaceActivates } from '../../ui/keys';
import { ScreenHeader } from '../../ui/ScreenHeader';
import { colors, space } from '../../ui/theme';
import { AppealsList } from './AppealsList';
import { AuditLog } from './AuditLog';
import { CasePage } from './CasePage';
import { CaseQueue } from './CaseQueue';

type Part = 'queue' | 'appeals' | 'audit';

/** The moderators' console: the queue of cases (and a case's page), the appeals, and the audit log. */
export function ModerationScreen({ me, onBack }: { me: OwnUser; onBack(): void }) {
  const { t } = useTranslation(['moderation']);
  const [part, setPart] = useState<Part>('queue');
  const [openCase, setOpenCase] = useState<string | null>(null);
  const show = (next: Part) => {
    setPart(next);
    setOpenCase(null);
  };
  return (
    <View testID="moderation" style={styles.root}>
      <ScreenHeader
        title={t('moderation:title')}
        back={
          <Button
            testID="moderation-back"
            variant="link"
            title={t('moderation:back')}
            accessibilityLabel={t('moderation:backLabel')}
            onPress={onBack}
          />
        }
      />
      <View style={styles.tabs} accessibilityRole="tablist">
        <Tab part="queue" title={t('moderation:tabs.queue')} current={part} onPress={show} />
        <Tab part="appeals" title={t('moderation:tabs.appeals')} current={part} onPress={show} />
        <Tab part="audit" title={t('moderation:tabs.audit')} current={part} onPress={show} />
      </View>
      <ScrollView contentContainerStyle={styles.content}>
        {part === 'queue' &&
          (openCase ? (
            <CasePage userId={openCase} onBack={() => setOpenCase(null)} />
          ) : (
            <CaseQueue onOpen={setOpenCase} />
          ))}
        {part === 'appeals' && <AppealsList me={me} />}
        {part === 'audit' && <AuditLog />}
      </ScrollView>
    </View>
  );
}

/** A tab of the console, announced as one of the tablist's tabs (selected or not); drawn as ui/Button's secondary (selected) and link looks. */
function Tab({
  part,
  title,
  current,
  onPress,
}: {
  part: Part;
  title: string;
  current: Part;
  onPress(part: Part): void;
}) {
  const selected = part === current;
  return (
    <Pressable
      testID={`mod-tab-${part}`}
      role="tab"
      // aria-selected is what react-native-web renders; accessibilityState is the native one.
      aria-selected={selected}
      accessibilityState={{ selected }}
      onPress={() => onPress(part)}
      {...spaceActivates(() => onPress(part))}
      style={({ pressed }) => [styles.tab, selected && styles.tabSelected, pressed && styles.tabPressed]}
    >
      <Text style={[styles.tabText, selected && styles.tabTextSelected]}>{title}</Text>
    </Pressable>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.l },
  tabs: { flexDirection: 'row', gap: space.s, paddingVertical: space.s },
  tab: { minHeight: 44, paddingHorizontal: space.l, borderRadius: 22, alignItems: 'center', justifyContent: 'center' },
  tabSelected: { backgroundColor: colors.surfaceRaised },
  tabPressed: { opacity: 0.8 },
  tabText: { color: colors.accent, fontSize: 16, fontWeight: '600' },
  tabTextSelected: { color: colors.text },
  content: { paddingVertical: space.m, gap: space.m, maxWidth: 900 },
});
