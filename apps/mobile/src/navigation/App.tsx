/**
 * The root component and its navigation: who is signed in picks Welcome or the signed-in
 * app, and a small route state switches its screens. Screens hold the logic; this only wires.
 */
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { ActivityIndicator, StatusBar, StyleSheet, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import { initialWindowMetrics, SafeAreaProvider, useSafeAreaInsets } from 'react-native-safe-area-context';
import { MatchmakingEvent, type SmallTalkClient } from '@small-talk/client';
import type { OwnUser, Peer } from '@small-talk/protocol';
import { CategoriesScreen } from '../features/categories/CategoriesScreen';
import { DirectCallFlow } from '../features/directCall/DirectCallFlow';
import { MatchFlow } from '../features/call/MatchFlow';
import { SocketBanner } from '../features/call/SocketBanner';
import { useClient } from '../features/call/useClient';
import { DirectCallOverlays } from '../features/directCall/DirectCallOverlays';
import { usePushNotifications } from '../features/push/usePushNotifications';
import { FriendRequestBanner } from '../features/friends/FriendRequestBanner';
import { ConsentScreen } from '../features/consent/ConsentScreen';
import { UnderageScreen } from '../features/consent/UnderageScreen';
import { useStanding } from '../features/consent/useStanding';
import { FriendsScreen } from '../features/friends/FriendsScreen';
import { FriendsProvider } from '../features/friends/useFriends';
import { HistoryScreen } from '../features/history/HistoryScreen';
import { ProfileScreen } from '../features/profile/ProfileScreen';
import { useDeviceLanguages } from '../features/profile/useDeviceLanguages';
import { OfflineGate } from '../features/offline/OfflineGate';
import { ModerationScreen } from '../features/moderation/ModerationScreen';
import { BannedScreen } from '../features/restriction/BannedScreen';
import { RestrictionScreen } from '../features/restriction/RestrictionScreen';
import { usePreloadShield } from '../features/shield/useShield';
import { SafetyScreen } from '../features/safety/SafetyScreen';
import { VerifyEmailScreen } from '../features/verification/VerifyEmailScreen';
import { ResetPasswordScreen } from '../features/welcome/ResetPasswordScreen';
import { useSession, type Session, type SessionState } from '../features/welcome/useSession';
import { WelcomeScreen } from '../features/welcome/WelcomeScreen';
import { ServicesContext, useServices, type Services } from '../services';
import { colors } from '../ui/theme';
import { useBackButton } from './useBackButton';
import { leaveResetPage, resetTokenFromUrl } from './resetLink';
import type { BackRoute, Route } from './routes';
import { useDirectCallRoute } from '../features/directCall/useDirectCallRoute';

export function App({ services }: { services: Services }) {
  return (
    <SafeAreaProvider initialMetrics={initialWindowMetrics}>
      <ServicesContext.Provider value={services}>
        <StatusBar barStyle="light-content" backgroundColor={colors.background} />
        <SafeArea>
          <OfflineGate>
            <Navigator />
          </OfflineGate>
        </SafeArea>
      </ServicesContext.Provider>
    </SafeAreaProvider>
  );
}

/**
 * Every screen inside the device's safe area: below the status bar and the notch or camera
 * hole, above the home indicator, clear of rounded corners in landscape. The background fills
 * the edges, so it reads as one screen.
 */
function SafeArea({ children }: { children: ReactNode }) {
  const insets = useSafeAreaInsets();
  return (
    <View
      testID="safe-area"
      style={[
        styles.root,
        { paddingTop: insets.top, paddingBottom: insets.bottom, paddingLeft: insets.left, paddingRight: insets.right },
      ]}
    >
      {children}
    </View>
  );
}

function Navigator() {
  // The shield's model loads while the user signs in and picks categories, not when the match starts.
  usePreloadShield();
  const { t } = useTranslation(['common']);
  const session = useSession();
  // Opened from a password-reset mail (web): that page first, whoever is signed in.
  const [resetToken, setResetToken] = useState(resetTokenFromUrl);
  // No socket meanwhile: the reset ends every other session, this tab's old one too, and its
  // close (4001) must not sign out the session the reset starts.
  const client = useClient(resetToken === null ? session.state : LOADING, session.expire);
  const { state } = session;

  if (resetToken !== null) {
    const onContinue = () => {
      leaveResetPage();
      setResetToken(null);
    };
    return <ResetPasswordScreen token={resetToken} onReset={session.resetPassword} onContinue={onContinue} />;
  }
  if (state.status === 'loading')
    return <ActivityIndicator style={styles.loading} color={colors.accent} accessibilityLabel={t('common:loading')} />;
  if (state.status === 'banned')
    return <BannedScreen appealToken={state.appealToken} onSignOut={() => void session.logout()} />;
  if (state.status === 'signed-out' || !client) {
    return (
      <WelcomeScreen
        onGuest={session.guest}
        onSignIn={session.login}
        onRegister={session.register}
        notice={state.status === 'signed-out' ? state.notice : undefined}
      />
    );
  }
  // Keyed by user: whoever signs in next starts afresh at Categories.
  return <Gate key={state.user.id} user={state.user} client={client} session={session} />;
}

/**
 * The age and rules gate: the rules and a date of birth until the user has accepted the current
 * rules, and why not instead of Categories while it may not meet anyone. A restriction arriving
 * mid-call unmounts the call, which leaves the room.
 */
function Gate({ user, client, session }: { user: OwnUser; client: SmallTalkClient; session: Session }) {
  const standing = useStanding(user, client, session.update);
  const signOut = () => void session.logout();
  switch (standing.screen) {
    case 'underage':
      return <UnderageScreen />;
    case 'restricted':
      return <RestrictionScreen restriction={standing.restriction} onSignOut={signOut} client={client} />;
    case 'consent':
      return (
        <ConsentScreen
          rulesChanged={standing.rulesChanged}
          onConsented={standing.consented}
          onUnderage={standing.underage}
          onSignOut={signOut}
        />
      );
    case 'app':
      return (
        <FriendsProvider client={client} userId={user.id}>
          <SignedIn user={user} client={client} session={session} />
        </FriendsProvider>
      );
  }
}

function SignedIn({ user, client, session }: { user: OwnUser; client: SmallTalkClient; session: Session }) {
  // Just registered: the server mailed a code; ask for it first (it can be put off). A page
  // reloaded mid-call: the room the server gave back, on its call screen.
  const [route, setRoute] = useState<Route>(
    () =>
      rejoinedRoute(client) ??
      (session.state.status === 'signed-in' && session.state.registered && !user.emailVerified
        ? { name: 'verify', codeSent: true, back: { name: 'categories' } }
        : { name: 'categories' }),
  );
  const services = useServices();
  useDeviceLanguages(user, session.update);
  // Kept across calls: coming back from a call, the same interests are still picked.
  const [picked, setPicked] = useState<string[]>([]);
  const toCategories = useCallback(() => setRoute({ name: 'categories' }), []);
  const toFriends = useCallback(() => setRoute({ name: 'friends' }), []);
  const back: BackRoute =
    route.name === 'direct' || route.name === 'account' || route.name === 'verify'
      ? route.back
      : { name: 'categories' };
  // A friend's call, answered here or made from Friends: to its call screen, from wherever the user is.
  const toDirectCall = useCallback((peer: Peer) => setRoute((current) => toDirect(current, peer)), []);
  const directCall = useDirectCallRoute(client, toDirectCall);
  // A tapped call notification brings the socket up, and the server then rings it (incoming_call);
  // a tapped friend request opens Friends.
  usePushNotifications(services.api, client, undefined, toFriends);
  useRejoinedRoom(client, setRoute);
  const goBack = () => {
    if (route.name === 'direct') directCall.leave();
    setRoute(back);
  };
  const leaveToFriends = () => {
    directCall.leave();
    toFriends();
  };

  // Android's back button goes back (to Categories, mostly) rather than closing the app mid-call.
  useBackButton(route.name !== 'categories', goBack);

  const createAccount = async (form: { email: string; password: string; displayName: string }) => {
    await session.register(form);
    // On to the mailed code, then back where the form was opened from, unless a friend's call
    // took the user elsewhere meanwhile.
    setRoute((current) =>
      current.name === 'account' ? { name: 'verify', codeSent: true, back: current.back } : current,
    );
  };
  const toVerify = useCallback(
    (reason?: 'verification_required') =>
      setRoute((current) => ({
        name: 'verify',
        codeSent: false,
        reason,
        back: current.name === 'match' || current.name === 'direct' ? { name: 'categories' } : (current as BackRoute),
      })),
    [],
  );
  const verificationRequired = useCallback(() => toVerify('verification_required'), [toVerify]);
  const verified = (updated: OwnUser) => {
    session.update(updated);
    setRoute((current) => (current.name === 'verify' ? current.back : current));
  };
  const verifyFromProfile = async () => {
    // The screen waits for a code rather than sending one on every visit: Profile asks for it here.
    try {
      await services.api.verifyEmailStart();
      setRoute({ name: 'verify', codeSent: true, back: { name: 'profile' } });
    } catch {
      setRoute({ name: 'verify', codeSent: false, back: { name: 'profile' } });
    }
  };

  return (
    <>
      <SocketBanner client={client} />
      {/* Friends lists the request itself: one set of accept/decline buttons on screen. */}
      {route.name !== 'friends' && <FriendRequestBanner />}
      {route.name === 'categories' && (
        <CategoriesScreen
          user={user}
          selected={picked}
          onSelectedChange={setPicked}
          onStart={(categories, { anyone }) => setRoute({ name: 'match', categories, anyone })}
          onHistory={() => setRoute({ name: 'history' })}
          onProfile={() => setRoute({ name: 'profile' })}
          onSafety={() => setRoute({ name: 'safety' })}
          onFriends={toFriends}
          onSignOut={() => void session.logout()}
          onCreateAccount={() => setRoute({ name: 'account', back: { name: 'categories' } })}
          onModeration={canModerate(user) ? () => setRoute({ name: 'moderation' }) : undefined}
        />
      )}
      {route.name === 'match' && (
        <MatchFlow
          client={client}
          categories={route.categories}
          anyone={route.anyone}
          rejoin={route.rejoin}
          onVerificationRequired={verificationRequired}
          onEnd={toCategories}
        />
      )}
      {route.name === 'profile' && (
        <ProfileScreen
          user={user}
          onSaved={session.update}
          onVerify={() => void verifyFromProfile()}
          onCreateAccount={() => setRoute({ name: 'account', back: { name: 'profile' } })}
          onBack={toCategories}
        />
      )}
      {route.name === 'verify' && (
        <VerifyEmailScreen
          user={user}
          codeSent={route.codeSent}
          reason={route.reason}
          onVerified={verified}
          onCreateAccount={() => setRoute({ name: 'account', back: route.back })}
          onBack={goBack}
        />
      )}
      {route.name === 'history' && <HistoryScreen onBack={toCategories} />}
      {route.name === 'safety' && <SafetyScreen onBack={toCategories} />}
      {route.name === 'moderation' && <ModerationScreen me={user} onBack={toCategories} />}
      {route.name === 'friends' && (
        <FriendsScreen
          client={client}
          user={user}
          onBack={toCategories}
          onCreateAccount={() => setRoute({ name: 'account', back: { name: 'friends' } })}
        />
      )}
      {route.name === 'direct' && (
        <DirectCallFlow client={client} peer={route.peer} onNext={leaveToFriends} onEnd={goBack} />
      )}
      {route.name === 'account' && (
        <WelcomeScreen
          onGuest={async () => {}}
          onSignIn={session.login}
          onRegister={createAccount}
          upgrade={{ displayName: user.displayName, onBack: goBack }}
        />
      )}
      <DirectCallOverlays client={client} onAccept={directCall.accept} />
    </>
  );
}

/**
 * A room the server gave back to this page (reloaded mid-call) before or after this screen
 * came: to its call screen. A friend's call goes to its own (directCall/useDirectCallRoute).
 */
function useRejoinedRoom(client: SmallTalkClient, setRoute: (update: (route: Route) => Route) => void) {
  useEffect(
    () =>
      client.matchmaking.on(MatchmakingEvent.Matched, (matched) => {
        if (!matched.rejoined || matched.direct) return;
        setRoute((route) => (route.name === 'match' ? route : (rejoinedRoute(client) ?? route)));
      }),
    [client, setRoute],
  );
}

/** A friend's call's screen, over whatever shows now (the call screen already showing stays). */
function toDirect(route: Route, peer: Peer): Route {
  if (route.name === 'direct') return route;
  // A search is not picked up again by itself after the call: back to Categories, picks kept.
  return { name: 'direct', peer, back: route.name === 'match' ? { name: 'categories' } : route };
}

/** The route of the room the server gave back to this page, if it has one. */
function rejoinedRoute(client: SmallTalkClient): Route | null {
  const room = client.matchmaking.rejoined ? client.matchmaking.room : null;
  if (!room) return null;
  if (room.direct) return { name: 'direct', peer: room.peer, back: { name: 'categories' } };
  // Its category by slug: Next searches it again (the picks on Categories went with the old page).
  const category = room.category ?? '';
  return { name: 'match', categories: [{ slug: category, name: category, waiting: 0 }], anyone: false, rejoin: true };
}

/** Moderators and admins work the reports; the server checks the role again on every request. */
function canModerate(user: OwnUser): boolean {
  return user.role === 'moderator' || user.role === 'admin';
}

/** The session as useClient sees it while the reset page shows: nobody to connect yet. */
const LOADING: SessionState = { status: 'loading' };

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background },
  loading: { flex: 1 },
});
