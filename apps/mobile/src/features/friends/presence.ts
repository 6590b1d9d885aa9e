import type { Presence } from '@small-talk/protocol';
import { colors } from '../../ui/theme';

/** How a friend's presence reads in the list (tests outside this repository read "in a call"). */
export const presenceText: Record<Presence, string> = {
  online: 'online',
  in_call: 'in a call',
  offline: 'offline',
};

export const presenceColor: Record<Presence, string> = {
  online: colors.success,
  in_call: colors.warning,
  offline: colors.textMuted,
};
