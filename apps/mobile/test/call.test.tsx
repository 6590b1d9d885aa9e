import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { act, fireEvent, screen } from '@testing-library/react-native';
import { AccessibilityInfo } from 'react-native';
import { defaults, type SmallTalkClient } from '@small-talk/client';
import type { IceResponse } from '@small-talk/protocol';
import { callStatus, type CallStatus, type CallStatusInputs } from '../src/features/call/callStatus';
import { MatchFlow } from '../src/features/call/MatchFlow';
import {
  categories,
  defaultRoutes,
  FakePeerConnection,
  fakeServices,
  renderWith,
  settle,
  type TestServices,
} from './fakes';

const music = categories[0]!;

let services: TestServices;
let client: SmallTalkClient;

/** Searching in Music, then matched with Bo: the Call screen. */
async function renderCall(options: { initiator?: boolean; iceTransportPolicy?: 'all' | 'relay' } = {}) {
  const onEnd = jest.fn();
  const utils = await renderWith(services, <MatchFlow client={client} categories={[music]} onEnd={onEnd} />);
  await settle();
  await services.server.match({ initiator: options.initiator ?? true, iceTransportPolicy: options.iceTransportPolicy });
  return { ...utils, onEnd, pc: FakePeerConnection.latest };
}

beforeEach(async () => {
  FakePeerConnection.instances = [];
  services = fakeServices();
  client = services.createClient(undefined);
  client.connect();
  await services.server.welcome();
});

afterEach(() => client.close());

describe('Call', () => {
  test("shows the peer's name, the peer's video large and the own preview muted and mirrored", async () => {
    const { pc } = await renderCall();
    const local = services.platform.streams[0]!;

    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');
    expect(screen.getByText('Music')).toBeOnTheScreen();
    expect(screen.getByTestId('local-video')).toHaveAccessibleName(`video ${local.id} mirrored muted`);
    expect(screen.getByTestId('remote-video')).toHaveAccessibleName('video none blurred');
    expect(screen.getByText('Connecting to Bo…')).toBeOnTheScreen();
    // The initiator's tracks go into the call at once (its offer follows).
    expect(pc.addedTracks).toEqual(local.getTracks());

    const remote = await pc.receiveStream();
    // Shown, but hidden by the shield until the user reveals it (phones have no classifier: test/shield.test.tsx).
    expect(screen.getByTestId('remote-video')).toHaveAccessibleName(`video ${remote.id} blurred`);
    expect(screen.queryByText('Connecting to Bo…')).not.toBeOnTheScreen();
  });

  test('call-status follows the call: connecting, connected, reconnecting (ICE), connected', async () => {
    const { pc } = await renderCall();
    expect(screen.getByTestId('call-status')).toHaveTextContent('connecting');
    await pc.setConnectionState('connecting');
    expect(screen.getByTestId('call-status')).toHaveTextContent('connecting');
    await pc.setConnectionState('connected');
    expect(screen.getByTestId('call-status')).toHaveTextContent('connected');
    await pc.setConnectionState('disconnected');
    expect(screen.getByTestId('call-status')).toHaveTextContent('reconnecting');
    await pc.setConnectionState('connected');
    expect(screen.getByTestId('call-status')).toHaveTextContent('connected');
  });

  test('the signaling socket dropping shows reconnecting; the resumed room keeps the same call', async () => {
    const { pc } = await renderCall();
    await pc.setConnectionState('connected');

    await services.server.socket.drop(1012); // server restarting
    expect(screen.getByTestId('call-status')).toHaveTextContent('reconnecting');

    await services.server.welcomeBack();
    await services.server.match({ resumed: true });
    expect(screen.getByTestId('call-status')).toHaveTextContent('connected');
    expect(FakePeerConnection.instances).toHaveLength(1);
    expect(pc.closed).toBe(false);
  });

  test('mute and camera off disable the tracks, and say so', async () => {
    await renderCall();
    const local = services.platform.streams[0]!;
    const [audio, video] = [local.getAudioTracks()[0]!, local.getVideoTracks()[0]!];

    await fireEvent.press(screen.getByTestId('toggle-mic'));
    expect(audio.enabled).toBe(false);
    expect(screen.getByTestId('toggle-mic')).toHaveTextContent('Unmute');
    expect(screen.getByTestId('toggle-mic')).toBeSelected();
    await fireEvent.press(screen.getByTestId('toggle-mic'));
    expect(audio.enabled).toBe(true);
    expect(screen.getByTestId('toggle-mic')).toHaveTextContent('Mute');

    await fireEvent.press(screen.getByTestId('toggle-camera'));
    expect(video.enabled).toBe(false);
    expect(screen.getByText('Camera off', { exact: true, includeHiddenElements: true })).toBeOnTheScreen();
    expect(screen.getByTestId('toggle-camera')).toHaveTextContent('Camera on');
  });

  test('switch camera is not offered where there is none to switch to (the web)', async () => {
    await renderCall();
    expect(screen.queryByTestId('switch-camera')).not.toBeOnTheScreen();
  });

  test('switch camera flips the camera where the platform can (native)', async () => {
    services.platform.canSwitchCamera = true;
    await renderCall();
    await fireEvent.press(screen.getByTestId('switch-camera'));
    expect(services.platform.switched).toBe(1);
  });

  test('the peer leaving: says so, offers Next, and Next searches again with the same camera', async () => {
    const { pc } = await renderCall();
    await services.server.socket.receive({ type: 'peer_left', roomId: 'room-1', reason: 'left' });

    expect(screen.getByTestId('call-status')).toHaveTextContent('peer left');
    expect(screen.getByText('Bo left the call')).toBeOnTheScreen();
    expect(screen.getAllByTestId('next-button')).toHaveLength(1);
    expect(pc.closed).toBe(true);

    await fireEvent.press(screen.getByTestId('next-button'));
    expect(screen.getByTestId('searching')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('join')).toHaveLength(2);

    await services.server.match({ roomId: 'room-2', peer: { id: 'user-cy', displayName: 'Cy' } });
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Cy');
    expect(FakePeerConnection.instances).toHaveLength(2);
    expect(services.platform.streams).toHaveLength(1); // getUserMedia once per search
  });

  test('Next in a call leaves the room and queues again at once', async () => {
    const { pc } = await renderCall();
    await fireEvent.press(screen.getByTestId('next-button'));

    const sent = services.server.socket.sent.map((frame) => frame.type);
    expect(sent.slice(-2)).toEqual(['leave', 'join']);
    expect(pc.closed).toBe(true);
    expect(screen.getByTestId('searching')).toBeOnTheScreen();
    expect(services.platform.streams[0]!.stopped).toBe(false);
  });

  test('End goes back; leaving the screen leaves the room and stops the camera', async () => {
    const { onEnd, pc, unmount } = await renderCall();
    await fireEvent.press(screen.getByTestId('end-button'));
    expect(onEnd).toHaveBeenCalledTimes(1);

    await unmount();
    expect(services.server.socket.sentOfType('leave')).toEqual([{ type: 'leave', roomId: 'room-1' }]);
    expect(pc.closed).toBe(true);
    expect(services.platform.streams[0]!.stopped).toBe(true);
  });

  test('a room lost while away (grace over) is reported, with Next offered', async () => {
    await renderCall();
    await services.server.socket.drop();
    await services.server.welcomeBack(); // and no `matched`: the server no longer has the room
    await services.server.socket.receive({ type: 'queued', categories: ['music'] }); // any other frame ends the wait
    expect(screen.getByTestId('call-status')).toHaveTextContent('could not connect');
    expect(screen.getByText('The call was interrupted')).toBeOnTheScreen();
    expect(screen.getByTestId('next-button')).toBeOnTheScreen();
  });

  test('the polite side adds its tracks only when the offer comes', async () => {
    const { pc } = await renderCall({ initiator: false });
    expect(pc.addedTracks).toHaveLength(0);
    await settle();
  });
});

describe('STUN/TURN servers and calls that cannot connect', () => {
  const relay: IceResponse = {
    iceServers: [
      { urls: ['stun:turn.example:3478'] },
      {
        urls: ['turn:turn.example:3478?transport=udp'],
        username: '1777921331:user-ada',
        credential: 'acLaqDj2RKbMxuNIeCadbQalnBo=',
      },
    ],
    iceTransportPolicy: 'relay',
    ttl: 3600,
  };

  /** The services of this suite's beforeEach, on a server answering GET /api/ice with `answer`. */
  async function withIce(answer: () => [number, unknown], options: { dropRawHostCandidates?: boolean } = {}) {
    client.close();
    services = fakeServices({ routes: defaultRoutes({ 'GET /api/ice': answer }), ...options });
    client = services.createClient(undefined);
    client.connect();
    await services.server.welcome();
  }

  test("each call fetches GET /api/ice first (same origin, with the cookie); its servers and the room's policy reach the peer connection", async () => {
    // The process-wide default says `all`; a room between strangers says `relay`, and wins.
    await withIce(() => [200, { ...relay, iceTransportPolicy: 'all' }]);
    const { pc } = await renderCall({ iceTransportPolicy: 'relay' });
    const ice = services.http.calls.filter((call) => call.path === '/api/ice');
    expect(ice).toHaveLength(1);
    expect(ice[0]!.url).toBe('/api/ice');
    expect(ice[0]!.init.credentials).toBe('include');
    expect(pc.config).toEqual({ iceServers: relay.iceServers, iceTransportPolicy: 'relay' });

    // Next: the new call gets fresh credentials of its own.
    await fireEvent.press(screen.getByTestId('next-button'));
    await services.server.match({ roomId: 'room-2', peer: { id: 'user-cy', displayName: 'Cy' } });
    await settle();
    expect(services.http.calls.filter((call) => call.path === '/api/ice')).toHaveLength(2);
    expect(FakePeerConnection.instances).toHaveLength(2);
  });

  /** The candidate lines the app sent the peer (signal frames over the socket). */
  const sentCandidates = () =>
    services.server.socket.sentOfType('signal').flatMap((frame) => {
      const candidate = (frame.data as { candidate?: { candidate: string } }).candidate;
      return candidate ? [candidate.candidate] : [];
    });
  const rawHost = 'candidate:1 1 udp 2122260223 192.168.1.20 54400 typ host generation 0';
  const mdnsHost =
    'candidate:2 1 udp 2122260223 4c1d9f2e-5b3a-4f0e-9d61-0a7c2b8e1f33.local 54401 typ host generation 0';
  const reflexive =
    'candidate:3 1 udp 1686052607 198.51.100.7 54400 typ srflx raddr 192.168.1.20 rport 54400 generation 0';

  test("native (no mDNS): a friend-like `all` call never sends the phone's raw host address; the web sends what the browser gathered", async () => {
    await withIce(() => [200, relay], { dropRawHostCandidates: true });
    const { pc } = await renderCall({ iceTransportPolicy: 'all' });
    await pc.gather(rawHost, mdnsHost, reflexive);
    expect(sentCandidates()).toEqual([
      mdnsHost,
      reflexive.replace('raddr 192.168.1.20 rport 54400', 'raddr 0.0.0.0 rport 0'),
    ]);

    await withIce(() => [200, relay]);
    const web = await renderCall({ iceTransportPolicy: 'all' });
    await web.pc.gather(rawHost, mdnsHost);
    expect(sentCandidates()).toEqual([rawHost, mdnsHost]);
  });

  test('a call under relay sends no candidate but relay ones, whatever the platform gathers', async () => {
    await withIce(() => [200, relay]);
    const { pc } = await renderCall({ iceTransportPolicy: 'relay' });
    const relayed = 'candidate:4 1 udp 41885439 203.0.113.9 61000 typ relay raddr 0.0.0.0 rport 0 generation 0';
    await pc.gather(rawHost, mdnsHost, reflexive, relayed);
    expect(sentCandidates()).toEqual([relayed]);
  });

  test('a call that never connects (a TURN server refusing the credentials) says "could not connect" within 30 s, and Next is there', async () => {
    jest.useFakeTimers();
    try {
      await renderCall();
      expect(screen.getByTestId('call-status')).toHaveTextContent('connecting');
      await act(() => jest.advanceTimersByTime(defaults.DEFAULT_CALL_CONNECT_TIMEOUT_MS - 1000));
      expect(screen.getByTestId('call-status')).toHaveTextContent('connecting');
      await act(() => jest.advanceTimersByTime(1000));
      expect(screen.getByTestId('call-status')).toHaveTextContent('could not connect');
      expect(defaults.DEFAULT_CALL_CONNECT_TIMEOUT_MS).toBeLessThan(30_000);
      expect(screen.getByTestId('next-button')).toBeOnTheScreen();
    } finally {
      jest.useRealTimers();
    }
  });

  test('ICE that fails after the restarts also says "could not connect"; connecting late turns it connected', async () => {
    const { pc } = await renderCall();
    for (let i = 0; i <= defaults.DEFAULT_MAX_ICE_RESTARTS; i++) await pc.setConnectionState('failed');
    expect(screen.getByTestId('call-status')).toHaveTextContent('could not connect');
    await pc.setConnectionState('connected');
    expect(screen.getByTestId('call-status')).toHaveTextContent('connected');
  });

  test('GET /api/ice failing: no call is attempted, and the status says "could not connect"', async () => {
    await withIce(() => [503, { error: { code: 'unavailable', message: 'this process is shutting down' } }]);
    await renderWith(services, <MatchFlow client={client} categories={[music]} onEnd={jest.fn()} />);
    await settle();
    await services.server.match();
    await settle();
    expect(FakePeerConnection.instances).toHaveLength(0);
    expect(screen.getByTestId('call-status')).toHaveTextContent('could not connect');
    expect(screen.getByTestId('next-button')).toBeOnTheScreen();
  });
});

describe('callStatus', () => {
  const base: CallStatusInputs = {
    roomEnd: null,
    callFailed: false,
    socket: 'open',
    call: 'connected',
    poorNetwork: false,
  };
  const cases: Array<[Partial<CallStatusInputs>, CallStatus]> = [
    [{}, 'connected'],
    [{ call: 'new' }, 'connecting'],
    [{ call: 'connecting' }, 'connecting'],
    [{ call: 'reconnecting' }, 'reconnecting'],
    [{ socket: 'reconnecting' }, 'reconnecting'],
    [{ socket: 'reconnecting', call: 'new' }, 'reconnecting'],
    [{ poorNetwork: true }, 'poor network'],
    [{ call: 'failed' }, 'could not connect'],
    [{ roomEnd: 'peer-left', socket: 'reconnecting' }, 'peer left'],
    [{ roomEnd: 'lost' }, 'could not connect'],
    [{ callFailed: true, call: 'new' }, 'could not connect'],
    [{ callFailed: true, roomEnd: 'peer-left' }, 'peer left'],
  ];
  test.each(cases)('%o → %s', (change, expected) => {
    expect(callStatus({ ...base, ...change })).toBe(expected);
  });
});

describe('Call: who the peer is', () => {
  test("shows the peer's languages by name and its bio; nothing when it set neither", async () => {
    await renderWith(services, <MatchFlow client={client} categories={[music]} onEnd={jest.fn()} />);
    await settle();
    await services.server.match({
      peer: { id: 'user-bo', displayName: 'Bo', languages: ['de', 'en'], bio: 'Cellist, mostly Bach 🎻' },
    });
    expect(screen.getByTestId('peer-languages')).toHaveTextContent(/^Deutsch.*, English/);
    expect(screen.getByTestId('peer-languages')).toHaveAccessibleName(/^Speaks Deutsch/);
    // Isolated: a right-to-left bio can't reorder what is around it.
    expect(screen.getByTestId('peer-bio')).toHaveTextContent('\u2068Cellist, mostly Bach 🎻\u2069');
    await screen.unmount();

    client.matchmaking.leave();
    await renderWith(services, <MatchFlow client={client} categories={[music]} onEnd={jest.fn()} />);
    await settle();
    await services.server.match({ roomId: 'room-2' });
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');
    expect(screen.queryByTestId('peer-languages')).not.toBeOnTheScreen();
    expect(screen.queryByTestId('peer-bio')).not.toBeOnTheScreen();
  });
});

describe('screen readers in a call', () => {
  /** What VoiceOver was asked to say (jest-expo runs the app as on iOS: queued announcements). */
  function spoken() {
    return jest.mocked(AccessibilityInfo.announceForAccessibilityWithOptions).mock.calls.map(([text]) => text);
  }
  beforeEach(() => {
    jest
      .spyOn(AccessibilityInfo, 'announceForAccessibilityWithOptions')
      .mockImplementation(() => {})
      .mockClear();
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('hear "connected", a reconnect, an incoming chat message and the peer leaving, each once', async () => {
    const { pc } = await renderCall();
    expect(spoken()).toEqual([]);
    await pc.setConnectionState('connected');
    expect(spoken()).toEqual(['Connected to Bo']);
    await pc.setConnectionState('disconnected');
    await pc.setConnectionState('connected');
    expect(spoken()).toEqual(['Connected to Bo', 'Connection lost. Reconnecting…', 'Connected to Bo']);

    await services.server.socket.receive({
      type: 'chat',
      roomId: 'room-1',
      from: 'user-bo',
      text: 'hello!',
      sentAt: '2026-05-04T18:00:01.000Z',
    });
    expect(spoken().at(-1)).toBe('Message from Bo: hello!');

    await services.server.socket.receive({ type: 'peer_left', roomId: 'room-1', reason: 'left' });
    expect(spoken().at(-1)).toBe('Bo left the call');
    expect(spoken()).toHaveLength(5);
  });
});
