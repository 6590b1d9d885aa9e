/**
 * The root component and its navigation: who is signed in picks Welcome or the signed-in
 * app, and a small route state switches its screens. Screens hold the logic; this only wires.
 */
import { useCallback, useState } from 'react';
import { ActivityIndicator, StatusBar, StyleSheet, View } from 'react-native';
import type { SmallTalkClient } from '@small-talk/client';
import type { Category, User } from '@small-talk/protocol';
import { CategoriesScreen } from '../features/categories/CategoriesScreen';
import { MatchFlow } from '../features/call/MatchFlow';
import { SocketBanner } from '../features/call/SocketBanner';
import { useClient } from '../features/call/useClient';
import { HistoryScreen } from '../features/history/HistoryScreen';
import { useSession, type Session } from '../features/welcome/useSession';
import { WelcomeScreen } from '../features/welcome/WelcomeScreen';
import { ServicesContext, type Services } from '../services';
import { colors } from '../ui/theme';
import { useBackButton } from './useBackButton';

type Route =
  | { name: 'categories' }
  /** Searching, then calls, in `categories` (most wanted first). */
  | { name: 'match'; categories: Category[] }
  | { name: 'history' }
  /** A guest creating an account (the upgrade keeps its history). */
  | { name: 'account' };

export function App({ services }: { services: Services }) {
  return (
    <ServicesContext.Provider value={services}>
      <StatusBar barStyle="light-content" backgroundColor={colors.background} />
      <View style={styles.root}>
        <Navigator />
      </View>
    </ServicesContext.Provider>
  );
}

function Navigator() {
  const session = useSession();
  const client = useClient(session.state, session.expire);
  const { state } = session;

  if (state.status === 'loading') return <ActivityIndicator style={styles.loading} color={colors.accent} />;
  if (state.status === 'signed-out' || !client) {
    return <WelcomeScreen onGuest={session.guest} onSignIn={session.login} onRegister={session.register} notice={state.status === 'signed-out' ? state.notice : undefined} />;
  }
  // Keyed by user: whoever signs in next starts afresh at Categories.
  return <SignedIn key={state.user.id} user={state.user} client={client} session={session} />;
}

function SignedIn({ user, client, session }: { user: User; client: SmallTalkClient; session: Session }) {
  const [route, setRoute] = useState<Route>({ name: 'categories' });
  // Kept across calls: coming back from a call, the same interests are still picked.
  const [picked, setPicked] = useState<string[]>([]);
  const toCategories = useCallback(() => setRoute({ name: 'categories' }), []);

  // Android's back button goes back to Categories rather than closing the app mid-call.
  useBackButton(route.name !== 'categories', toCategories);

  const createAccount = async (form: { email: string; password: string; displayName: string }) => {
    await session.register(form);
    toCategories();
  };

  return (
    <>
      <SocketBanner client={client} />
      {route.name === 'categories' && (
        <CategoriesScreen
          user={user}
          selected={picked}
          onSelectedChange={setPicked}
          onStart={(categories) => setRoute({ name: 'match', categories })}
          onHistory={() => setRoute({ name: 'history' })}
          onSignOut={() => void session.logout()}
          onCreateAccount={() => setRoute({ name: 'account' })}
        />
      )}
      {route.name === 'match' && <MatchFlow client={client} categories={route.categories} onEnd={toCategories} />}
      {route.name === 'history' && <HistoryScreen onBack={toCategories} />}
      {route.name === 'account' && (
        <WelcomeScreen
          onGuest={async () => {}}
          onSignIn={session.login}
          onRegister={createAccount}
          upgrade={{ displayName: user.displayName, onBack: toCategories }}
        />
      )}
    </>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background },
  loading: { flex: 1 },
});
