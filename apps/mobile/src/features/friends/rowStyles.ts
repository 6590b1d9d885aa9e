import { StyleSheet } from 'react-native';
import { colors, space } from '../../ui/theme';

/** The Friends screen's rows: friends and requests share one look. */
export const rowStyles = StyleSheet.create({
  row: {
    flexDirection: 'row',
    alignItems: 'center',
    gap: space.s,
    backgroundColor: colors.surface,
    borderRadius: 12,
    padding: space.m,
  },
  main: { flex: 1, gap: space.xs },
  name: { color: colors.text, fontSize: 17, fontWeight: '600' },
  muted: { color: colors.textMuted, fontSize: 13 },
  error: { color: colors.danger, fontSize: 13 },
  actions: { flexDirection: 'row', alignItems: 'center', gap: space.s },
});
