import { useEffect, useMemo, useState } from 'react';
import { ActivityIndicator, StyleSheet, Text, View } from 'react-native';
import type { OwnUser } from '@small-talk/protocol';
import { useTranslation } from 'react-i18next';
import { describeApiError } from '../../api';
import { RESTRICTION_RECHECK_MS } from '../../defaults';
import { ServicesContext, useServices } from '../../services';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { RestrictionScreen } from './RestrictionScreen';

/**
 * What a banned member sees after signing in with the right password: the restriction, its
 * notices and the appeal form, all read with the appeal token (the screens below get an API
 * that carries it). Once a moderator lifts the ban, the user signs in again for a session.
 */
export function BannedScreen({ appealToken, onSignOut }: { appealToken: string; onSignOut(): void }) {
  const services = useServices();
  const { t } = useTranslation(['restriction', 'common']);
  const appealServices = useMemo(
    () => ({ ...services, api: services.api.withAppealToken(appealToken) }),
    [services, appealToken],
  );
  const user = useOwnUser(appealServices.api);

  if (user.status === 'loading')
    return <ActivityIndicator style={styles.loading} color={colors.accent} accessibilityLabel={t('common:loading')} />;
  if (user.status === 'failed') {
    return (
      <View testID="banned-failed" style={styles.root}>
        <Text style={styles.text}>{describeApiError(user.error)}</Text>
        <Button title={t('common:back')} variant="secondary" onPress={onSignOut} style={styles.button} />
      </View>
    );
  }
  const restriction = user.value.restriction;
  if (restriction === null || restriction.kind === 'underage') {
    return (
      <View testID="restriction-lifted" style={styles.root}>
        <Text style={styles.title} accessibilityRole="header">
          {t('restriction:restored.title')}
        </Text>
        <Text style={styles.text}>{t('restriction:restored.text')}</Text>
        <Button testID="sign-in-again" title={t('common:signIn')} onPress={onSignOut} style={styles.button} />
      </View>
    );
  }
  return (
    <ServicesContext.Provider value={appealServices}>
      <RestrictionScreen restriction={restriction} onSignOut={onSignOut} />
    </ServicesContext.Provider>
  );
}

/** `error`: the failure as it came, described at render (a language switch re-words it). */
type OwnUserState = { status: 'loading' } | { status: 'failed'; error: unknown } | { status: 'ready'; value: OwnUser };

/** The member as the server describes it, read again now and then: an appeal may be decided while the screen is open. */
function useOwnUser(api: ReturnType<typeof useServices>['api']): OwnUserState {
  const [state, setState] = useState<OwnUserState>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    const read = () =>
      api.me().then(
        (value) => live && setState({ status: 'ready', value }),
        // Past the first answer a failed re-read keeps what was shown (the token may just have run out).
        (error: unknown) =>
          live && setState((current) => (current.status === 'ready' ? current : { status: 'failed', error })),
      );
    void read();
    const timer = setInterval(() => void read(), RESTRICTION_RECHECK_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api]);
  return state;
}

const styles = StyleSheet.create({
  loading: { flex: 1 },
  root: { flex: 1, backgroundColor: colors.background, padding: space.xl, gap: space.m, justifyContent: 'center' },
  title: { color: colors.text, fontSize: 22, fontWeight: '700' },
  text: { color: colors.textMuted, fontSize: 15, lineHeight: 21 },
  button: { alignSelf: 'flex-start' },
});
