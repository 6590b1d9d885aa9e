import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { act, fireEvent, render, screen, within } from '@testing-library/react-native';
import type { CallEndReason, FriendsResponse, OwnUser } from '@small-talk/protocol';
import { App } from '../src/navigation/App';
import { CALL_OUTCOME_SHOWN_MS } from '../src/defaults';
import {
  ada,
  bo,
  defaultRoutes,
  FakePeerConnection,
  fakeServices,
  friend,
  friendRequest,
  friendsList,
  settle,
  type Routes,
  type TestServices,
} from './fakes';

const cy = { id: 'user-cy', displayName: 'Cy' };
const dee = { id: 'user-dee', displayName: 'Dee' };
const eve = { id: 'user-eve', displayName: 'Eve' };
const me = { id: ada.id, displayName: ada.displayName };

let services: TestServices;
/** What GET /api/friends answers now: tests change it as the server's data changes. */
let serverList: FriendsResponse;

/** The app, signed in (a returning guest unless told), its socket welcomed. */
async function renderApp(options: { routes?: Routes; list?: FriendsResponse; user?: OwnUser } = {}) {
  const user = options.user ?? ada;
  serverList = options.list ?? friendsList();
  services = fakeServices({
    routes: defaultRoutes({
      'GET /api/me': () => [200, { user }],
      'GET /api/friends': () => [200, serverList],
      ...options.routes,
    }),
  });
  await render(<App services={services} />);
  await settle();
  await services.server.welcome(user);
  await settle();
}

async function openFriends() {
  await fireEvent.press(screen.getByTestId('friends-tab'));
  await settle();
}

function friendsFetches(): number {
  return services.http.calls.filter((call) => call.method === 'GET' && call.path === '/api/friends').length;
}

function posted(path: string) {
  return services.http.calls.filter((call) => call.method === 'POST' && call.path === path);
}

afterEach(() => {
  jest.useRealTimers();
  FakePeerConnection.instances = [];
});

describe('Friends screen', () => {
  const list = friendsList({
    friends: [friend(bo, 'online'), friend(cy, 'offline')],
    incoming: [friendRequest('req-dee', dee, me)],
    outgoing: [friendRequest('req-eve', me, eve)],
  });

  test('reached from Categories, whose tab counts the requests waiting', async () => {
    await renderApp({ list });
    expect(screen.getByTestId('friends-tab')).toHaveTextContent('Friends1');
    expect(screen.getByTestId('friends-tab')).toHaveAccessibleName('Friends, 1 request');

    await openFriends();
    expect(screen.getByTestId('friends')).toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('friends-back'));
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
  });

  test('lists friends by name with their presence, and the requests both ways', async () => {
    await renderApp({ list });
    await openFriends();

    const bos = screen.getByTestId('friend-user-bo');
    expect(bos).toHaveTextContent(/^Boonline/);
    expect(within(bos).getByTestId('call-friend')).toBeEnabled();
    const cys = screen.getByTestId('friend-user-cy');
    expect(cys).toHaveTextContent(/^Cyoffline/);
    // Offline is callable: the server wakes Cy's devices by push, or says offline at once.
    expect(within(cys).getByTestId('call-friend')).toBeEnabled();

    expect(screen.getByTestId('incoming-request-req-dee')).toHaveTextContent(/^Deewants to be friends/);
    expect(screen.getByTestId('sent-request-req-eve')).toHaveTextContent(/^Everequest sent/);
  });

  test('presence changes live: in a call, then callable again as soon as that call ends', async () => {
    await renderApp({ list });
    await openFriends();
    const call = () => within(screen.getByTestId('friend-user-bo')).getByTestId('call-friend');

    await services.server.socket.receive({ type: 'presence', userId: bo.id, presence: 'in_call' });
    expect(screen.getByTestId('presence-user-bo')).toHaveTextContent('in a call');
    expect(call()).toBeDisabled();

    await services.server.socket.receive({ type: 'presence', userId: bo.id, presence: 'online' });
    expect(screen.getByTestId('presence-user-bo')).toHaveTextContent('online');
    expect(call()).toBeEnabled();

    await services.server.socket.receive({ type: 'presence', userId: cy.id, presence: 'online' });
    expect(within(screen.getByTestId('friend-user-cy')).getByTestId('call-friend')).toBeEnabled();
  });

  test('loaded again when the screen opens and when the socket comes back', async () => {
    await renderApp({ list });
    const atSignIn = friendsFetches();
    expect(atSignIn).toBeGreaterThanOrEqual(1);

    await openFriends();
    expect(friendsFetches()).toBe(atSignIn + 1);

    await services.server.socket.drop();
    await services.server.welcomeBack();
    await settle();
    expect(friendsFetches()).toBe(atSignIn + 2);
  });

  test('a friend added, removed, and a request withdrawn, live', async () => {
    await renderApp({ list });
    await openFriends();

    await services.server.socket.receive({ type: 'friend_added', friend: friend(eve, 'online') });
    expect(screen.getByTestId('friend-user-eve')).toHaveTextContent(/^Eveonline/);
    expect(screen.queryByTestId('sent-request-req-eve')).not.toBeOnTheScreen();

    await services.server.socket.receive({ type: 'friend_removed', userId: cy.id });
    expect(screen.queryByTestId('friend-user-cy')).not.toBeOnTheScreen();

    await services.server.socket.receive({ type: 'friend_request_closed', requestId: 'req-dee', reason: 'cancelled' });
    expect(screen.queryByTestId('incoming-request-req-dee')).not.toBeOnTheScreen();
  });

  test('accept a request in the list: the requester becomes a friend', async () => {
    await renderApp({
      list,
      routes: { 'POST /api/friends/requests/req-dee/accept': () => [200, { friend: friend(dee, 'online') }] },
    });
    await openFriends();
    await fireEvent.press(within(screen.getByTestId('incoming-request-req-dee')).getByTestId('accept-friend'));
    await settle();

    expect(posted('/api/friends/requests/req-dee/accept')).toHaveLength(1);
    expect(screen.queryByTestId('incoming-request-req-dee')).not.toBeOnTheScreen();
    expect(screen.getByTestId('friend-user-dee')).toHaveTextContent(/^Deeonline/);
  });

  test('decline a request in the list; withdraw one sent; unfriend, asked twice', async () => {
    await renderApp({
      list,
      routes: {
        'POST /api/friends/requests/req-dee/decline': () => [204],
        'DELETE /api/friends/requests/req-eve': () => [204],
        'DELETE /api/friends/user-cy': () => [204],
      },
    });
    await openFriends();

    await fireEvent.press(within(screen.getByTestId('incoming-request-req-dee')).getByTestId('decline-friend'));
    await settle();
    expect(posted('/api/friends/requests/req-dee/decline')).toHaveLength(1);
    expect(screen.queryByTestId('incoming-request-req-dee')).not.toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('friends-back'));
    expect(screen.getByTestId('friends-tab')).toHaveTextContent(/^Friends$/);
    await openFriends();

    await fireEvent.press(screen.getByTestId('withdraw-friend-request'));
    await settle();
    expect(
      services.http.calls.filter((call) => call.method === 'DELETE' && call.path === '/api/friends/requests/req-eve'),
    ).toHaveLength(1);
    expect(screen.queryByTestId('sent-request-req-eve')).not.toBeOnTheScreen();

    await fireEvent.press(within(screen.getByTestId('friend-user-cy')).getByTestId('unfriend'));
    expect(screen.getByTestId('friend-user-cy')).toBeOnTheScreen();
    await fireEvent.press(within(screen.getByTestId('friend-user-cy')).getByTestId('confirm-unfriend'));
    await settle();
    expect(screen.queryByTestId('friend-user-cy')).not.toBeOnTheScreen();
  });

  test('guests are asked to create an account to keep their friends; the upgrade comes back here', async () => {
    const member = { ...ada, kind: 'member' as const };
    await renderApp({
      list,
      routes: { 'POST /api/auth/register': () => [201, { user: member, token: 'token-member' }] },
    });
    await openFriends();
    expect(screen.getByText('Create an account to keep your friends')).toBeOnTheScreen();

    await fireEvent.press(screen.getByTestId('keep-friends'));
    await fireEvent.changeText(screen.getByTestId('email-input'), 'ada@example.com');
    await fireEvent.changeText(screen.getByTestId('password-input'), 'long enough');
    await fireEvent.press(screen.getByTestId('register-submit'));
    await settle();

    // The mailed code first (it can be put off), then back to Friends.
    await fireEvent.press(screen.getByTestId('verify-back'));
    expect(screen.getByTestId('friends')).toBeOnTheScreen();
    expect(screen.queryByTestId('keep-friends')).not.toBeOnTheScreen();
    expect(screen.getByTestId('friend-user-bo')).toBeOnTheScreen();
  });

  test('members are not asked', async () => {
    await renderApp({ list, user: { ...ada, kind: 'member' } });
    await openFriends();
    expect(screen.queryByTestId('keep-friends')).not.toBeOnTheScreen();
  });
});

describe('a friend request, live', () => {
  const request = friendRequest('req-bo', bo, me);

  test('shows wherever the user is, with accept; accepting makes a friend', async () => {
    await renderApp({ routes: { 'POST /api/friends/requests/req-bo/accept': () => [200, { friend: friend(bo) }] } });
    await fireEvent.press(screen.getByTestId('open-history'));
    await settle();

    serverList = friendsList({ incoming: [request] });
    await services.server.socket.receive({ type: 'friend_request', request });
    expect(screen.getByTestId('request-banner')).toHaveTextContent(/Bo wants to be friends/);
    serverList = friendsList({ friends: [friend(bo)] });
    await fireEvent.press(screen.getByTestId('accept-friend'));
    await settle();

    expect(posted('/api/friends/requests/req-bo/accept')).toHaveLength(1);
    expect(screen.queryByTestId('request-banner')).not.toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('history-back'));
    await openFriends();
    expect(screen.getByTestId('friend-user-bo')).toHaveTextContent(/^Bo/);
  });

  test('decline from the banner; the tab counts it meanwhile; the Friends screen lists it instead', async () => {
    await renderApp({ routes: { 'POST /api/friends/requests/req-bo/decline': () => [204] } });
    serverList = friendsList({ incoming: [request] });
    await services.server.socket.receive({ type: 'friend_request', request });
    expect(screen.getByTestId('friends-tab')).toHaveTextContent('Friends1');

    // On Friends the list has it: one accept button, not two.
    await openFriends();
    expect(screen.queryByTestId('request-banner')).not.toBeOnTheScreen();
    expect(screen.getAllByTestId('accept-friend')).toHaveLength(1);
    await fireEvent.press(screen.getByTestId('friends-back'));

    await fireEvent.press(within(screen.getByTestId('request-banner')).getByTestId('decline-friend'));
    await settle();
    expect(posted('/api/friends/requests/req-bo/decline')).toHaveLength(1);
    expect(screen.queryByTestId('request-banner')).not.toBeOnTheScreen();
    expect(screen.getByTestId('friends-tab')).toHaveTextContent(/^Friends$/);
  });

  test('Later puts the banner away; the request stays under Friends', async () => {
    await renderApp();
    serverList = friendsList({ incoming: [request] });
    await services.server.socket.receive({ type: 'friend_request', request });
    await fireEvent.press(screen.getByTestId('dismiss-friend-request'));
    expect(screen.queryByTestId('request-banner')).not.toBeOnTheScreen();
    await openFriends();
    expect(screen.getByTestId('incoming-request-req-bo')).toBeOnTheScreen();
  });
});

/** Categories → Music → Start → matched with Bo. */
async function startCall() {
  await fireEvent.press(screen.getByTestId('category-music'));
  await fireEvent.press(screen.getByTestId('start-matching'));
  await settle();
  await services.server.match();
  await settle();
}

describe('add-friend in a call', () => {
  test('sends a request to the peer, then says "request sent"; still there after the peer left', async () => {
    await renderApp({
      routes: { 'POST /api/friends/requests': () => [201, { request: friendRequest('req-1', me, bo) }] },
    });
    await startCall();

    expect(screen.getByTestId('add-friend')).toHaveTextContent('Add friend');
    await fireEvent.press(screen.getByTestId('add-friend'));
    await settle();
    const sent = posted('/api/friends/requests');
    expect(sent).toHaveLength(1);
    expect(JSON.parse(String(sent[0]!.init.body))).toEqual({ userId: bo.id });
    expect(screen.getByTestId('add-friend')).toHaveTextContent('request sent');
    expect(screen.getByTestId('add-friend')).toBeDisabled();

    await services.server.socket.receive({ type: 'peer_left', roomId: 'room-1', reason: 'left' });
    expect(screen.getByTestId('add-friend')).toHaveTextContent('request sent');

    // Bo accepts: they are friends.
    await services.server.socket.receive({ type: 'friend_added', friend: friend(bo) });
    expect(screen.getByTestId('add-friend')).toHaveTextContent('friends');
  });

  test('the peer had asked already: friends at once', async () => {
    await renderApp({ routes: { 'POST /api/friends/requests': () => [200, { friend: friend(bo) }] } });
    await startCall();
    await fireEvent.press(screen.getByTestId('add-friend'));
    await settle();
    expect(screen.getByTestId('add-friend')).toHaveTextContent('friends');
  });

  test('after the peer left, offered too; a failure can be tried again', async () => {
    let fail = true;
    await renderApp({
      routes: {
        'POST /api/friends/requests': () =>
          fail
            ? [500, { error: { code: 'internal', message: 'bug' } }]
            : [201, { request: friendRequest('req-1', me, bo) }],
      },
    });
    await startCall();
    await services.server.socket.receive({ type: 'peer_left', roomId: 'room-1', reason: 'left' });

    await fireEvent.press(screen.getByTestId('add-friend'));
    await settle();
    expect(screen.getByTestId('add-friend')).toHaveTextContent('Try again');
    fail = false;
    await fireEvent.press(screen.getByTestId('add-friend'));
    await settle();
    expect(screen.getByTestId('add-friend')).toHaveTextContent('request sent');
  });

  test('a new peer after Next starts afresh', async () => {
    await renderApp({
      routes: { 'POST /api/friends/requests': () => [201, { request: friendRequest('req-1', me, bo) }] },
    });
    await startCall();
    await fireEvent.press(screen.getByTestId('add-friend'));
    await settle();
    await fireEvent.press(screen.getByTestId('next-button'));
    await services.server.match({ roomId: 'room-2', peer: cy });
    await settle();
    expect(screen.getByTestId('add-friend')).toHaveTextContent('Add friend');
  });
});

describe('an incoming call', () => {
  const ring = { type: 'incoming_call' as const, callId: 'call-1', peer: bo };

  test('appears on any screen; accepting leads to a call with the caller, no search, no category', async () => {
    await renderApp();
    await fireEvent.press(screen.getByTestId('open-history'));
    await settle();

    await services.server.socket.receive(ring);
    expect(screen.getByTestId('incoming-call')).toHaveTextContent(/Bo/);
    await fireEvent.press(screen.getByTestId('accept-call'));
    await settle();
    expect(services.server.socket.sentOfType('accept_call')).toEqual([{ type: 'accept_call', callId: 'call-1' }]);
    expect(screen.queryByTestId('incoming-call')).not.toBeOnTheScreen();

    await services.server.socket.receive({
      type: 'matched',
      roomId: 'room-9',
      peer: bo,
      category: null,
      initiator: false,
      resumed: false,
      iceTransportPolicy: 'all',
    });
    await settle();
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');
    expect(screen.queryByText('Music')).not.toBeOnTheScreen();
    expect(services.server.socket.sentOfType('join')).toHaveLength(0);
    expect(FakePeerConnection.instances).toHaveLength(1);
    await FakePeerConnection.latest.setConnectionState('connected');
    expect(screen.getByTestId('call-status')).toHaveTextContent('connected');

    // End: back where the user was, the room left and the camera off.
    await fireEvent.press(screen.getByTestId('end-button'));
    await settle();
    expect(screen.getByText('People you met')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('leave')).toEqual([{ type: 'leave', roomId: 'room-9' }]);
    expect(services.platform.streams[0]!.stopped).toBe(true);
  });

  test('while searching: accepting stops the search and the room is the call', async () => {
    await renderApp();
    await fireEvent.press(screen.getByTestId('category-music'));
    await fireEvent.press(screen.getByTestId('start-matching'));
    await settle();
    expect(screen.getByTestId('searching')).toBeOnTheScreen();

    await services.server.socket.receive(ring);
    await fireEvent.press(screen.getByTestId('accept-call'));
    await settle();
    expect(screen.queryByTestId('searching')).not.toBeOnTheScreen();

    await services.server.socket.receive({
      type: 'matched',
      roomId: 'room-9',
      peer: bo,
      category: null,
      initiator: false,
      resumed: false,
      iceTransportPolicy: 'all',
    });
    await settle();
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');
    expect(services.server.socket.sentOfType('leave')).toHaveLength(0);

    // Next from a friend's call goes to Friends, not into a search.
    await fireEvent.press(screen.getByTestId('next-button'));
    await settle();
    expect(screen.getByTestId('friends')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('leave')).toEqual([{ type: 'leave', roomId: 'room-9' }]);
    expect(services.server.socket.sentOfType('join')).toHaveLength(1);
  });

  test('decline sends decline_call and the overlay goes', async () => {
    await renderApp();
    await services.server.socket.receive(ring);
    await fireEvent.press(screen.getByTestId('decline-call'));
    expect(services.server.socket.sentOfType('decline_call')).toEqual([{ type: 'decline_call', callId: 'call-1' }]);
    expect(screen.queryByTestId('incoming-call')).not.toBeOnTheScreen();
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
  });

  test('the caller giving up takes the overlay away', async () => {
    await renderApp();
    await services.server.socket.receive(ring);
    await services.server.socket.receive({ type: 'call_ended', callId: 'call-1', peer: bo, reason: 'cancelled' });
    expect(screen.queryByTestId('incoming-call')).not.toBeOnTheScreen();
  });

  test('answered, then left before the room came: the room is left when it comes, the user stays', async () => {
    await renderApp();
    let grant!: () => void;
    const getUserMedia = services.platform.getUserMedia;
    services.platform.getUserMedia = () => new Promise((resolve) => (grant = () => resolve(getUserMedia())));
    await services.server.socket.receive(ring);
    await fireEvent.press(screen.getByTestId('accept-call'));
    expect(screen.getByText('Starting your camera…')).toBeOnTheScreen();

    await fireEvent.press(screen.getByTestId('cancel-direct-call'));
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
    await services.server.socket.receive({
      type: 'matched',
      roomId: 'room-9',
      peer: bo,
      category: null,
      initiator: false,
      resumed: false,
      iceTransportPolicy: 'all',
    });
    await settle();
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('leave')).toEqual([{ type: 'leave', roomId: 'room-9' }]);
    grant();
    await settle();
  });

  test('no camera for the answered call: Cancel leaves the room that came meanwhile', async () => {
    await renderApp();
    services.platform.failNext('denied');
    await services.server.socket.receive(ring);
    await fireEvent.press(screen.getByTestId('accept-call'));
    await services.server.socket.receive({
      type: 'matched',
      roomId: 'room-9',
      peer: bo,
      category: null,
      initiator: false,
      resumed: false,
      iceTransportPolicy: 'all',
    });
    await settle();
    expect(screen.getByTestId('media-error')).toBeOnTheScreen();

    await fireEvent.press(screen.getByTestId('cancel-direct-call'));
    await settle();
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('leave')).toEqual([{ type: 'leave', roomId: 'room-9' }]);
  });

  test('a friend calling back on the ended call screen is answered there', async () => {
    await renderApp();
    await services.server.socket.receive(ring);
    await fireEvent.press(screen.getByTestId('accept-call'));
    await services.server.socket.receive({
      type: 'matched',
      roomId: 'room-9',
      peer: bo,
      category: null,
      initiator: false,
      resumed: false,
      iceTransportPolicy: 'all',
    });
    await settle();
    await services.server.socket.receive({ type: 'peer_left', roomId: 'room-9', reason: 'left' });
    expect(screen.getByTestId('call-status')).toHaveTextContent('peer left');

    await services.server.socket.receive({ ...ring, callId: 'call-2' });
    await fireEvent.press(screen.getByTestId('accept-call'));
    await services.server.socket.receive({
      type: 'matched',
      roomId: 'room-10',
      peer: bo,
      category: null,
      initiator: false,
      resumed: false,
      iceTransportPolicy: 'all',
    });
    await settle();
    expect(screen.getByTestId('call-status')).toHaveTextContent('connecting');
    expect(FakePeerConnection.instances).toHaveLength(2);
  });
});

describe('calling a friend', () => {
  const list = friendsList({ friends: [friend(bo, 'online')] });

  async function callBo() {
    await renderApp({ list });
    await openFriends();
    await fireEvent.press(within(screen.getByTestId('friend-user-bo')).getByTestId('call-friend'));
  }

  test('calling…, then ringing…, then "declined"; OK closes it', async () => {
    await callBo();
    expect(services.server.socket.sentOfType('call')).toEqual([{ type: 'call', userId: bo.id }]);
    expect(screen.getByTestId('outgoing-call')).toHaveTextContent(/Bo/);
    expect(screen.getByTestId('direct-call-status')).toHaveTextContent('calling…');

    await services.server.socket.receive({ type: 'call_ringing', callId: 'call-1', peer: bo });
    expect(screen.getByTestId('direct-call-status')).toHaveTextContent('ringing…');

    await services.server.socket.receive({ type: 'call_ended', callId: 'call-1', peer: bo, reason: 'declined' });
    expect(screen.getByTestId('direct-call-status')).toHaveTextContent(/^declined$/);
    expect(screen.queryByTestId('hang-up')).not.toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('dismiss-call'));
    expect(screen.queryByTestId('outgoing-call')).not.toBeOnTheScreen();
  });

  test('a friend who is offline can be called: the server rings their devices by push, and the caller sees it ringing', async () => {
    await renderApp({ list: friendsList({ friends: [friend(cy, 'offline')] }) });
    await openFriends();
    await fireEvent.press(within(screen.getByTestId('friend-user-cy')).getByTestId('call-friend'));
    expect(services.server.socket.sentOfType('call')).toEqual([{ type: 'call', userId: cy.id }]);
    await services.server.socket.receive({ type: 'call_ringing', callId: 'call-1', peer: cy });
    expect(screen.getByTestId('direct-call-status')).toHaveTextContent('ringing…');
  });

  const outcomes: Array<[CallEndReason, string]> = [
    ['busy', 'busy'],
    ['no_answer', 'no answer'],
    ['offline', 'offline'],
  ];
  test.each(outcomes)('%s reads "%s", and goes after a few seconds', async (reason, text) => {
    await callBo();
    await services.server.socket.receive({ type: 'call_ringing', callId: 'call-1', peer: bo });
    jest.useFakeTimers();
    try {
      await services.server.socket.receive({ type: 'call_ended', callId: 'call-1', peer: bo, reason });
      expect(screen.getByTestId('direct-call-status')).toHaveTextContent(new RegExp(`^${text}$`));
      await act(() => jest.advanceTimersByTime(CALL_OUTCOME_SHOWN_MS));
      expect(screen.queryByTestId('outgoing-call')).not.toBeOnTheScreen();
    } finally {
      // Real timers again before the screen unmounts: unmounted under fake ones, the next test's render never finished.
      jest.useRealTimers();
    }
  });

  test('busy at once, before any ringing', async () => {
    await callBo();
    await services.server.socket.receive({ type: 'call_ended', callId: 'call-1', peer: bo, reason: 'busy' });
    expect(screen.getByTestId('direct-call-status')).toHaveTextContent(/^busy$/);
  });

  test('hang up cancels the call', async () => {
    await callBo();
    await services.server.socket.receive({ type: 'call_ringing', callId: 'call-1', peer: bo });
    await fireEvent.press(screen.getByTestId('hang-up'));
    expect(services.server.socket.sentOfType('cancel_call')).toEqual([{ type: 'cancel_call', callId: 'call-1' }]);
    expect(screen.queryByTestId('outgoing-call')).not.toBeOnTheScreen();
  });

  test('answered: the caller goes into the call; End comes back to Friends', async () => {
    await callBo();
    await services.server.socket.receive({ type: 'call_ringing', callId: 'call-1', peer: bo });
    await services.server.socket.receive({
      type: 'matched',
      roomId: 'room-9',
      peer: bo,
      category: null,
      initiator: true,
      resumed: false,
      iceTransportPolicy: 'all',
    });
    await settle();

    expect(screen.queryByTestId('outgoing-call')).not.toBeOnTheScreen();
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');
    expect(screen.getByTestId('add-friend')).toHaveTextContent('friends');
    // The caller is the initiator: its tracks go in at once.
    expect(FakePeerConnection.latest.addedTracks).toHaveLength(2);

    await fireEvent.press(screen.getByTestId('end-button'));
    await settle();
    expect(screen.getByTestId('friends')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('leave')).toEqual([{ type: 'leave', roomId: 'room-9' }]);
  });

  test('a call the server refuses says why', async () => {
    await callBo();
    await services.server.socket.receive({ type: 'error', code: 'not_friends', message: 'not friends' });
    expect(screen.queryByTestId('outgoing-call')).not.toBeOnTheScreen();
    expect(screen.getByTestId('friends-error')).toHaveTextContent('You can only call your friends.');
  });
});
