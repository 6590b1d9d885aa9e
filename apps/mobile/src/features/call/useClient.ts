import { useEffect, useMemo, useRef } from 'react';
import { SocketEvent, type SmallTalkClient } from '@small-talk/client';
import { ApiError } from '../../api';
import { i18n } from '../../i18n/i18n';
import { SESSION_CHECK_AFTER_RETRIES } from '../../defaults';
import { useServices } from '../../services';
import type { SessionState } from '../welcome/useSession';

/** Said on the welcome screen; `expire` takes words, so they are put in the language of the moment. */
const signedOutNotice = () => i18n.t('call:socket.signedOut');
/** Every session of a banned member ends; signing in again shows the reasons and the appeal form. */
export const bannedNotice = () => i18n.t('call:socket.banned');

/**
 * One SDK client per signed-in session, connected from sign-in on (so the socket is open by
 * the time the user starts matching) and closed on sign-out. Tells `onExpired` when the
 * server no longer knows the session.
 */
export function useClient(session: SessionState, onExpired: (notice: string) => void): SmallTalkClient | null {
  const { api, createClient } = useServices();
  const signedIn = session.status === 'signed-in' ? session : null;
  // A new token (native: a guest upgraded to a member) needs a new client; the same user on
  // the web keeps its client, since the cookie changed under the same socket.
  const token = signedIn?.token;
  const userId = signedIn?.user.id;
  const client = useMemo(() => (userId === undefined ? null : createClient(token)), [createClient, userId, token]);

  const expired = useRef(onExpired);
  expired.current = onExpired;

  useEffect(() => {
    if (!client) return;
    const offs = [
      client.socket.on(SocketEvent.State, (state, info) => {
        if (state === 'closed' && (info.reason === 'logged_out' || info.reason === 'unauthorized'))
          expired.current(signedOutNotice());
        if (state === 'closed' && info.reason === 'banned') expired.current(bannedNotice());
      }),
      client.socket.on(SocketEvent.RetryScheduled, ({ retryCount }) => {
        if (retryCount !== SESSION_CHECK_AFTER_RETRIES) return;
        api.me().catch((error: unknown) => {
          if (error instanceof ApiError && error.code === 'unauthenticated') expired.current(signedOutNotice());
        });
      }),
    ];
    client.connect();
    return () => {
      for (const off of offs) off();
      client.close();
    };
  }, [client, api]);

  return client;
}
