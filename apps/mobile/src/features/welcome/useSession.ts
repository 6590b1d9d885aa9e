import { useCallback, useEffect, useMemo, useState } from 'react';
import type { OwnUser } from '@small-talk/protocol';
import { BannedError, type SignedIn } from '../../api';
import { loadSessionToken, saveSessionToken } from '../../device/sessionToken';
import { useServices } from '../../services';

export type SessionState =
  | { status: 'loading' }
  /** `notice` says why, when the session ended on its own (logged out elsewhere, expired). */
  | { status: 'signed-out'; notice?: string }
  /**
   * `token` only on native; the web's session is its HttpOnly cookie. `registered`: the account
   * was created just now (the server mailed a code to confirm its address: the app asks for it).
   */
  | { status: 'signed-in'; user: OwnUser; token: string | undefined; registered?: boolean }
  /**
   * A banned member signed in with the right password: no session, only the short-lived token
   * that reads the notices and files an appeal (until `expiresAt`).
   */
  | { status: 'banned'; appealToken: string; expiresAt: string };

export interface Session {
  state: SessionState;
  guest(displayName: string): Promise<void>;
  register(form: { email: string; password: string; displayName: string }): Promise<void>;
  login(form: { email: string; password: string }): Promise<void>;
  /** A new password from a mailed reset link: signed in, and every other session of the account ended. */
  resetPassword(form: { token: string; password: string }): Promise<void>;
  logout(): Promise<void>;
  /** The server ended the session (socket closed 4001 or 4003, or 401): back to Welcome with a word why. */
  expire(notice: string): void;
  /** The server described the signed-in user anew (its consent or restriction changed). */
  update(user: OwnUser): void;
}

/** Who is signed in. Sign-in failures reject with an ApiError for the form to show. */
export function useSession(): Session {
  const { api } = useServices();
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  useEffect(() => {
    let live = true;
    // An earlier visit's cookie (web), or the token a phone kept from its last launch, may still
    // be good: then Welcome is skipped.
    void (async () => {
      const kept = api.token ? undefined : await loadSessionToken();
      if (kept && !api.token) api.token = kept;
      try {
        const user = await api.me();
        if (live) setState({ status: 'signed-in', user, token: api.token });
      } catch {
        // Expired or ended elsewhere: not tried again on the next launch.
        if (kept) {
          if (api.token === kept) api.token = undefined;
          void saveSessionToken(undefined);
        }
        if (live) setState({ status: 'signed-out' });
      }
    })();
    return () => {
      live = false;
    };
  }, [api]);

  const signedIn = useCallback(
    (result: SignedIn) => {
      void saveSessionToken(api.token);
      setState({ status: 'signed-in', user: result.user, token: api.token });
    },
    [api],
  );
  // Only the same user: an answer about the previous session must not resurrect it.
  const update = useCallback(
    (user: OwnUser) =>
      setState((current) =>
        current.status === 'signed-in' && current.user.id === user.id ? { ...current, user } : current,
      ),
    [],
  );

  return useMemo(
    () => ({
      state,
      guest: async (displayName) => signedIn(await api.guest(displayName)),
      register: async (form) => {
        const result = await api.register(form);
        void saveSessionToken(api.token);
        setState({ status: 'signed-in', user: result.user, token: api.token, registered: true });
      },
      resetPassword: async (form) => signedIn(await api.resetPassword(form)),
      login: async (form) => {
        try {
          signedIn(await api.login(form));
        } catch (error) {
          if (!(error instanceof BannedError)) throw error;
          setState({ status: 'banned', appealToken: error.appealToken, expiresAt: error.expiresAt });
        }
      },
      logout: async () => {
        // Signed out here even if the server can't be told: the user asked to leave. An appeal
        // token is simply forgotten: it ends by itself within the hour.
        if (state.status !== 'banned') await api.logout().catch(() => {});
        void saveSessionToken(undefined);
        setState({ status: 'signed-out' });
      },
      expire: (notice) => {
        api.token = undefined;
        void saveSessionToken(undefined);
        setState({ status: 'signed-out', notice });
      },
      update,
    }),
    [api, state, signedIn, update],
  );
}
