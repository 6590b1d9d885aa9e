import type { Presence } from '@small-talk/protocol';
import { colors } from '../../ui/theme';

// The words are the friends namespace's `presence.<code>` (tests outside this repository read "in a call").
export const presenceColor: Record<Presence, string> = {
  online: colors.success,
  in_call: colors.warning,
  offline: colors.textMuted,
};
