import { useEffect, useRef, useState } from 'react';
import { SocketEvent, type SmallTalkClient } from '@small-talk/client';
import type { OwnUser, Restriction } from '@small-talk/protocol';
import { useServices } from '../../services';

/** Which screen the signed-in user may see: the app itself only with consent and no restriction. */
export type Standing =
  | { screen: 'underage' }
  | { screen: 'restricted'; restriction: Restriction }
  /** `rulesChanged`: why again (the rules changed since the user accepted them). */
  | { screen: 'consent'; rulesChanged?: boolean }
  | { screen: 'app' };

/** setTimeout's longest delay (about 24.8 days): a later `until` is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The user's standing with the age and rules gate, kept current: the server's word at sign-in
 * (`consent`, `restriction`), a newer rules version, a `consent_required` or `restricted`
 * refusal, the socket's `restricted` frame (mid-call too) and a suspension running out.
 * `update` stores the user as the server now describes it.
 */
export function useStanding(
  user: OwnUser,
  client: SmallTalkClient,
  update: (user: OwnUser) => void,
): Standing & { consented(user: OwnUser): void; underage(): void } {
  const { api } = useServices();
  const [askAgain, setAskAgain] = useState(false);
  const [underage, setUnderage] = useState(false);
  const consentedTo = user.consent?.rulesVersion ?? null;
  const restricted = user.restriction !== null;

  // Consent is to one rules version: a newer one (raised by the operator) asks again.
  useEffect(() => {
    if (consentedTo === null || restricted) return;
    let live = true;
    api.rules().then(
      (rules) => live && rules.version > consentedTo && setAskAgain(true),
      () => {}, // The join's consent_required still catches it.
    );
    return () => {
      live = false;
    };
  }, [api, consentedTo, restricted]);

  // Consent only moves forward: a `welcome` written before the user accepted (its socket opened
  // at sign-in) may arrive after the consent's answer, and must not ask for the rules again.
  const current = useRef(user);
  current.current = user;
  useEffect(() => {
    const fromServer = (next: OwnUser) => update(laterConsent(next, current.current));
    const refresh = () => api.me().then(fromServer, () => {});
    const offs = [
      // welcome and `restricted` frames: a restriction applies (or ended) at once.
      client.socket.on(SocketEvent.User, fromServer),
      // A lift (by a moderator or an appeal) comes as a notice: the user may meet people again.
      client.socket.on(SocketEvent.Notice, (notice) => {
        if (notice.kind === 'restored' || notice.kind === 'appeal_overturned') void refresh();
      }),
      client.socket.on(SocketEvent.Message, (message) => {
        if (message.type !== 'error') return;
        if (message.code === 'consent_required') setAskAgain(true);
        if (message.code === 'restricted') void refresh();
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [api, client, update]);

  // A suspension with an end: ask the server again when it ends.
  const until = user.restriction?.until ?? null;
  useEffect(() => {
    if (until === null) return;
    const timer = setTimeout(
      () =>
        void api.me().then(
          (next) => update(laterConsent(next, current.current)),
          () => {},
        ),
      Math.min(Math.max(0, Date.parse(until) - Date.now()) + 1000, MAX_TIMER_MS),
    );
    return () => clearTimeout(timer);
  }, [api, until, update]);

  const actions = {
    consented: (next: OwnUser) => {
      setAskAgain(false);
      update(next);
    },
    underage: () => setUnderage(true),
  };
  const restriction = user.restriction;
  if (underage || restriction?.kind === 'underage') return { screen: 'underage', ...actions };
  if (restriction) return { screen: 'restricted', restriction, ...actions };
  if (consentedTo === null) return { screen: 'consent', ...actions };
  if (askAgain) return { screen: 'consent', rulesChanged: true, ...actions };
  return { screen: 'app', ...actions };
}

/** `next` with the later of its consent and `known`'s. */
function laterConsent(next: OwnUser, known: OwnUser): OwnUser {
  const mine = known.consent;
  if (mine && (next.consent === null || next.consent.rulesVersion < mine.rulesVersion))
    return { ...next, consent: mine };
  return next;
}
