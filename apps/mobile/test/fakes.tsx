/**
 * Fakes for what can't run under jest: the server (its HTTP answers and its WebSocket) and the
 * platform's WebRTC (camera, peer connection, video views). The SDK itself is the real one,
 * driven through a fake WebSocket, so the screens are tested against its true events.
 */
import { act, render } from '@testing-library/react-native';
import type { ReactElement } from 'react';
import { Text, View } from 'react-native';
import {
  SmallTalkClient,
  defaults,
  type MediaStreamLike,
  type PeerConnectionLike,
  type SmallTalkClientOptions,
  type WebSocketLike,
} from '@small-talk/client';
import {
  Peer,
  type Category,
  type Connection,
  type Friend,
  type FriendRequest,
  type FriendsResponse,
  type IceResponse,
  type IceTransportPolicy,
  type OwnUser,
  type Presence,
  type ServerMessage,
} from '@small-talk/protocol';
import type { z } from 'zod';
import { File, Paths } from 'expo-file-system';
import { Api } from '../src/api';
import {
  MediaError,
  type LocalStream,
  type LocalTrack,
  type MediaProblem,
  type VideoViewProps,
  type WebRtcPlatform,
} from '../src/platform/types';
import { ServicesContext, type Services } from '../src/services';

// ---- the server's WebSocket ---------------------------------------------------

/** A frame the app sent, parsed. */
export type SentFrame = { type: string; [field: string]: unknown };

/** A frame the server sends, as a test writes it (fields with a default may be left out). */
type ServerFrame = z.input<typeof ServerMessage>;

/**
 * The server's end of one WebSocket. It answers as the real server does (protocol v1 with refs,
 * docs/protocol.md "Requests and their answers"): a test writes the answer it means (`queued`,
 * `call_ringing` for 'call-1', a call's room) and receive() completes it with what the server
 * would add: the `ref` of the request it answers, the ring's id the SDK chose, the call a room
 * came from. Refs and callIds are the SDK's plumbing, tested in packages/client and server/test
 * (ws-refs, client-*); these tests check what the app does and the frames it means to send.
 */
export class FakeWebSocket implements WebSocketLike {
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  /** Frames the app sent, parsed, as on the wire: requests with their `ref`, `call` with its `callId`. */
  readonly wire: SentFrame[] = [];
  closed = false;
  /** The server side went away (drop()). */
  dropped = false;
  /** Refs the server answered already: it answers each request once. */
  private readonly answered = new Set<string>();
  /** Ring ids a test made up for outgoing calls ('call-1'), and the SDK's own `callId` each stands for. */
  private readonly ringIds = new Map<string, string>();
  /** Ids of calls that rang this user (`incoming_call`): the test named them, and they stay. */
  private readonly incoming = new Set<string>();

  constructor(
    readonly url: string,
    readonly token: string | undefined,
    /** Each room's call (`matched.callId`), kept by the server across sockets, as for a resume. */
    private readonly roomCalls: Map<string, string> = new Map(),
  ) {}

  /** Frames the app sent, as tests assert them: without the SDK's `ref`, and `call` without its `callId` (see the class). */
  get sent(): SentFrame[] {
    const testIds = new Map([...this.ringIds].map(([testId, callId]) => [callId, testId]));
    return this.wire.map(({ ref: _ref, ...frame }) => {
      if (frame.type === 'call') {
        const { callId: _callId, ...call } = frame;
        return call;
      }
      // A frame about a ring the test named ('call-1' in its call_ringing) names it as the test did.
      if (typeof frame.callId !== 'string') return frame;
      return { ...frame, callId: testIds.get(frame.callId) ?? frame.callId };
    });
  }

  send(data: string): void {
    this.wire.push(JSON.parse(data));
  }

  close(): void {
    this.closed = true;
  }

  /** A frame from the server, as on the wire once completed as the server would (see the class). */
  receive(frame: ServerFrame): Promise<void> {
    return act(() => this.onmessage?.({ data: JSON.stringify(this.complete(frame)) }));
  }

  /** The connection drops (1006 unless told otherwise). */
  drop(code = 1006): Promise<void> {
    this.dropped = true;
    return act(() => this.onclose?.({ code }));
  }

  sentOfType(type: string): SentFrame[] {
    return this.sent.filter((frame) => frame.type === type);
  }

  // ---- answering as the server does ---------------------------------------------

  private complete(frame: ServerFrame): ServerFrame {
    switch (frame.type) {
      case 'queued':
        return this.answering(frame, (sent) => sent.type === 'join');
      case 'cancelled':
        return this.answering(frame, (sent) => sent.type === 'cancel');
      case 'left':
        // Without a leave of this room, the server ended it for the user (a block, a report): no ref.
        return this.answering(frame, (sent) => sent.type === 'leave' && sent.roomId === frame.roomId);
      case 'error':
        // The server refuses the frame it is handling: in these tests, the latest request.
        return this.answering(frame, () => true);
      case 'call_ringing':
        return this.answering({ ...frame, callId: this.ringId(frame.callId) }, (sent) => sent.type === 'call');
      case 'call_ended':
        return { ...frame, callId: this.ringId(frame.callId) };
      case 'incoming_call':
        this.incoming.add(frame.callId);
        return frame;
      case 'matched':
        return this.room(frame);
      default:
        return frame;
    }
  }

  /** `frame` with the ref of the latest request `answers` picks, if that request is still unanswered. */
  private answering<F extends ServerFrame>(frame: F, answers: (sent: SentFrame) => boolean): F {
    if ('ref' in frame && frame.ref !== undefined) return frame;
    const request = this.wire.findLast((sent) => typeof sent.ref === 'string' && answers(sent));
    const ref = request?.ref as string | undefined;
    if (ref === undefined || this.answered.has(ref)) return frame;
    this.answered.add(ref);
    return { ...frame, ref };
  }

  /**
   * The id the server gives a ring: an incoming call's is the test's; for an outgoing call the
   * server uses the `callId` its `call` carried, which the SDK chose, so a test's made-up id
   * ('call-1') stands for the latest call's.
   */
  private ringId(id: string): string {
    if (this.incoming.has(id)) return id;
    const known = this.ringIds.get(id);
    if (known) return known;
    const calls = this.wire.filter((sent) => sent.type === 'call').map((sent) => sent.callId as string);
    const latest = calls[calls.length - 1];
    if (latest === undefined || calls.includes(id)) return id;
    this.ringIds.set(id, latest);
    return latest;
  }

  /**
   * A room names the call it came from (`callId`): the server keeps it across a resume, and a room
   * with no category that follows a `call` or `accept_call` (rather than a `join`) is that call's.
   * A widened search's room has no category either, and names no call.
   */
  private room(frame: Extract<ServerFrame, { type: 'matched' }>): ServerFrame {
    const callId =
      frame.callId ?? this.roomCalls.get(frame.roomId) ?? (frame.category === null ? this.unansweredCall() : undefined);
    if (callId === undefined) return frame;
    this.roomCalls.set(frame.roomId, callId);
    return { ...frame, callId };
  }

  /** The call of the latest `call` or `accept_call`, if no `join` came after it and no room was made of it yet. */
  private unansweredCall(): string | undefined {
    const latest = this.wire.findLast(
      (sent) => sent.type === 'join' || sent.type === 'call' || sent.type === 'accept_call',
    );
    const callId = latest?.type === 'join' ? undefined : (latest?.callId as string | undefined);
    if (callId === undefined || [...this.roomCalls.values()].includes(callId)) return undefined;
    return callId;
  }
}

/** Hands out FakeWebSockets; `socket` is the latest. */
export class FakeServer {
  readonly sockets: FakeWebSocket[] = [];

  get socket(): FakeWebSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }

  /** Each room's call (`matched.callId`), across the sockets: a resumed room names it again. */
  private readonly roomCalls = new Map<string, string>();

  readonly createWebSocket = (url: string, token: string | undefined): FakeWebSocket => {
    const socket = new FakeWebSocket(url, token, this.roomCalls);
    this.sockets.push(socket);
    return socket;
  };

  /** A real SDK client on this fake server. */
  client(token?: string, options: Partial<SmallTalkClientOptions> = {}): SmallTalkClient {
    return new SmallTalkClient({ url: 'ws://test/ws', token, createWebSocket: this.createWebSocket, ...options });
  }

  /**
   * Waits for the SDK's next socket and welcomes it. Its reconnect runs on a timer: the first
   * retry after a drop comes within a random DEFAULT_FIRST_RETRY_JITTER_MS (0–250 ms).
   */
  async welcomeBack(user: OwnUser = ada): Promise<void> {
    const until = Date.now() + 2 * defaults.DEFAULT_FIRST_RETRY_JITTER_MS;
    await act(async () => {
      while (this.socket.dropped && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    });
    if (this.socket.dropped) throw new Error('the client did not reconnect');
    await this.welcome(user);
  }

  /** The latest socket gets its `welcome`: the client is `open`. */
  welcome(user: OwnUser = ada): Promise<void> {
    return this.socket.receive({ type: 'welcome', user });
  }

  /** The server matched the user: `matched` on the latest socket. */
  async match(
    room: Partial<{
      roomId: string;
      peer: PeerLike & { bio?: string };
      category: string | null;
      initiator: boolean;
      resumed: boolean;
      iceTransportPolicy: IceTransportPolicy;
    }> = {},
  ): Promise<string> {
    const roomId = room.roomId ?? 'room-1';
    await this.socket.receive({
      type: 'matched',
      roomId,
      peer: { bio: '', ...(room.peer ?? bo) },
      category: room.category === undefined ? 'music' : room.category,
      initiator: room.initiator ?? true,
      resumed: room.resumed ?? false,
      // As a server without TURN (the tests' /api/ice has no servers either) says it.
      iceTransportPolicy: room.iceTransportPolicy ?? 'all',
    });
    return roomId;
  }
}

/** The own user, as the server describes it once the rules are accepted (version 1) and nothing restricts it. */
export const ada: OwnUser = {
  id: 'user-ada',
  displayName: 'Ada',
  kind: 'guest',
  consent: { rulesVersion: 1, at: '2026-05-04T17:00:00.000Z' },
  restriction: null,
  role: 'user',
  emailVerified: false,
  // Named already: a user with none gets the device's languages on first run (profile.test.tsx).
  languages: ['en'],
  bio: '',
};

// ---- the age and rules gate ------------------------------------------------------

// Not annotated: the rules answer gains fields (contactEmail), and a fake with more is still read.
export const rules = {
  version: 1,
  minAge: 18,
  text: '# Small Talk community rules\n\n1. **Adults only.** You must be 18 or older.\n2. **No nudity.** Keep your clothes on.\n\n## Reporting\n\nPress **Report** during a call.',
  contactEmail: null,
};

/** A date of birth the fake server takes for an adult's; anything in 2015 or later is a child's. */
export const ADULT_BIRTH_DATE = '1990-04-21';
export const bo: Peer = { id: 'user-bo', displayName: 'Bo', languages: [] };

// ---- friends --------------------------------------------------------------------

/** A peer as the server may send it: `languages` left out reads as none. */
export type PeerLike = z.input<typeof Peer>;

export function friend(user: PeerLike, presence: Presence = 'online'): Friend {
  return { user: Peer.parse(user), presence, since: '2026-05-04T17:52:47.903Z' };
}

export function friendRequest(id: string, from: PeerLike, to: PeerLike): FriendRequest {
  return { id, from: Peer.parse(from), to: Peer.parse(to), createdAt: '2026-05-04T18:00:00.000Z' };
}

/** What GET /api/friends answers: nobody, unless told. */
export function friendsList(list: Partial<FriendsResponse> = {}): FriendsResponse {
  return { friends: [], incoming: [], outgoing: [], ...list };
}

// ---- HTTP ----------------------------------------------------------------------

export const categories: Category[] = [
  { slug: 'music', name: 'Music', waiting: 2 },
  { slug: 'books', name: 'Books', waiting: 0 },
  { slug: 'travel', name: 'Travel', waiting: 1 },
];

type Answer = [status: number, body?: unknown];
/** A request's JSON body, as the server reads it: a test reads the fields it checks. */
export type RequestBody = Record<string, unknown>;
export type Routes = Record<
  string,
  (request: { body: RequestBody; headers: Record<string, string> }) => Answer | Promise<Answer>
>;

const unauthenticated: Answer = [
  401,
  { error: { code: 'unauthenticated', message: 'sign in first: no valid session' } },
];

/** Routes keyed "METHOD /path" (the query string is ignored); anything else is a 404. A Uint8Array answer is sent as bytes (a JPEG). */
export function fakeFetch(routes: Routes) {
  const calls: Array<{ method: string; path: string; url: string; init: RequestInit }> = [];
  const fetch = async (url: string | URL | Request, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const path = String(url)
      .replace(/^https?:\/\/[^/]+/, '')
      .split('?')[0]!;
    calls.push({ method, path, url: String(url), init });
    const route = routes[`${method} ${path}`];
    // A request without a body (GET, DELETE) reads as {}: the routes that read one are sent one.
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as RequestBody) : {};
    const [status, answer] = route
      ? await route({ body, headers: (init.headers ?? {}) as Record<string, string> })
      : [404, { error: { code: 'not_found', message: 'no such route' } }];
    const bytes = answer instanceof Uint8Array ? answer : null;
    return {
      ok: status >= 200 && status < 300,
      status,
      text: async () => (answer === undefined || bytes ? '' : JSON.stringify(answer)),
      arrayBuffer: async () => (bytes ?? new Uint8Array()).slice().buffer,
    } as Response;
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

/** What GET /api/ice answers by default: no STUN/TURN server, as on a LAN. */
export const noIceServers: IceResponse = { iceServers: [], iceTransportPolicy: 'all', ttl: 3600 };

/** A server where nobody is signed in yet, with categories, an empty history and no STUN/TURN servers. */
export function defaultRoutes(overrides: Routes = {}): Routes {
  return {
    'GET /api/me': () => unauthenticated,
    'GET /api/categories': () => [200, { categories }],
    'GET /api/history': () => [200, { connections: [] as Connection[] }],
    'GET /api/ice': () => [200, noIceServers],
    'GET /api/friends': () => [200, friendsList()],
    'GET /api/rules': () => [200, rules],
    'GET /api/me/notices': () => [200, { notices: [] }],
    'GET /api/appeals': () => [200, { appeals: [] }],
    // A new guest has accepted nothing yet: the app asks first.
    'POST /api/auth/guest': ({ body }) => [
      201,
      { user: { ...ada, displayName: body.displayName, consent: null }, token: 'token-ada' },
    ],
    'POST /api/me/consent': ({ body }) => {
      if (body.rulesVersion !== rules.version)
        return [409, { error: { code: 'rules_changed', message: 'the rules changed' } }];
      if (Number(String(body.birthDate).slice(0, 4)) >= 2015)
        return [403, { error: { code: 'underage', message: 'too young' } }];
      return [200, { user: { ...ada, consent: { rulesVersion: body.rulesVersion, at: '2026-05-04T18:00:00.000Z' } } }];
    },
    'POST /api/auth/logout': () => [204],
    'GET /api/stats': () => [200, { online: 7, waiting: 2 }],
    // The profile as saved: what the signed-in user sent, over the fake's own user.
    'PATCH /api/me': ({ body }) => [200, { user: { ...ada, ...body } }],
    ...overrides,
  };
}

// ---- WebRTC ----------------------------------------------------------------------

let ids = 0;

export class FakeTrack implements LocalTrack {
  readonly id = `track-${++ids}`;
  enabled = true;
  stopped = false;
  constructor(readonly kind: 'audio' | 'video') {}
  stop(): void {
    this.stopped = true;
  }
}

export class FakeStream implements LocalStream {
  readonly id = `stream-${++ids}`;
  readonly tracks = [new FakeTrack('audio'), new FakeTrack('video')];
  getTracks() {
    return [...this.tracks];
  }
  getAudioTracks() {
    return this.tracks.filter((track) => track.kind === 'audio');
  }
  getVideoTracks() {
    return this.tracks.filter((track) => track.kind === 'video');
  }
  get stopped(): boolean {
    return this.tracks.every((track) => track.stopped);
  }
}

/** A peer connection's event listener, as the SDK adds them (each platform has its own event classes). */
type PeerConnectionListener = Parameters<PeerConnectionLike['addEventListener']>[1];

/**
 * Enough of an RTCPeerConnection for a Call to be made and observed: tests move its
 * connectionState and deliver remote tracks. Negotiation itself is the SDK's, tested there.
 */
export class FakePeerConnection {
  static instances: FakePeerConnection[] = [];
  signalingState = 'stable';
  connectionState = 'new';
  localDescription = null;
  remoteDescription = null;
  closed = false;
  readonly addedTracks: unknown[] = [];
  private readonly listeners = new Map<string, Set<PeerConnectionListener>>();

  constructor(readonly config: unknown) {
    FakePeerConnection.instances.push(this);
  }

  static get latest(): FakePeerConnection {
    const pc = FakePeerConnection.instances[FakePeerConnection.instances.length - 1];
    if (!pc) throw new Error('no peer connection was made');
    return pc;
  }

  async setLocalDescription(): Promise<void> {}
  async setRemoteDescription(): Promise<void> {}
  async addIceCandidate(): Promise<void> {}
  addTrack(track: unknown): void {
    this.addedTracks.push(track);
  }
  restartIce(): void {}
  async getStats() {
    return new Map();
  }
  close(): void {
    this.closed = true;
    this.connectionState = 'closed';
  }
  addEventListener(type: string, listener: PeerConnectionListener): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }
  removeEventListener(type: string, listener: PeerConnectionListener): void {
    this.listeners.get(type)?.delete(listener);
  }

  setConnectionState(state: string): Promise<void> {
    this.connectionState = state;
    return act(() => this.fire('connectionstatechange', {}));
  }

  /** ICE gathering finds these candidate lines (`candidate:…`), then ends. */
  gather(...lines: string[]): Promise<void> {
    return act(() => {
      for (const candidate of lines)
        this.fire('icecandidate', { candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } });
      this.fire('icecandidate', { candidate: null });
    });
  }

  /** The peer's media arrives. */
  async receiveStream(stream: MediaStreamLike = new FakeStream()): Promise<MediaStreamLike> {
    await act(() => this.fire('track', { track: stream.getTracks()[0], streams: [stream] }));
    return stream;
  }

  private fire(type: string, event: unknown): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(event);
  }
}

/** The VideoView stand-in: shows which stream it would play, and how (blurred: hidden by the shield). */
function FakeVideoView({ stream, testID, mirror, muted, blurred }: VideoViewProps) {
  return (
    <View
      testID={testID}
      accessibilityLabel={`video ${stream?.id ?? 'none'}${mirror ? ' mirrored' : ''}${muted ? ' muted' : ''}${blurred ? ' blurred' : ''}`}
    >
      <Text>{stream ? stream.id : 'no stream'}</Text>
    </View>
  );
}

export interface FakePlatform extends WebRtcPlatform {
  /** Every stream handed out, in order. */
  readonly streams: FakeStream[];
  /** The next getUserMedia calls fail with these problems, one each, before succeeding. */
  failNext(...problems: MediaProblem[]): void;
  switched: number;
}

export function fakePlatform(
  options: { canSwitchCamera?: boolean; dropRawHostCandidates?: boolean } = {},
): FakePlatform {
  const failures: MediaProblem[] = [];
  const platform: FakePlatform = {
    streams: [],
    switched: 0,
    failNext: (...problems) => failures.push(...problems),
    webrtc: { RTCPeerConnection: FakePeerConnection },
    dropRawHostCandidates: options.dropRawHostCandidates ?? false,
    getUserMedia: async () => {
      const problem = failures.shift();
      if (problem) throw new MediaError(problem, `fake ${problem}`);
      const stream = new FakeStream();
      platform.streams.push(stream);
      return stream;
    },
    stopStream: (stream) => {
      for (const track of stream.getTracks()) track.stop();
    },
    switchCamera: async () => {
      platform.switched += 1;
    },
    canSwitchCamera: options.canSwitchCamera ?? false,
    onNetworkChange: () => () => {},
    VideoView: FakeVideoView,
  };
  return platform;
}

// ---- wiring ------------------------------------------------------------------

export interface TestServices extends Services {
  platform: FakePlatform;
  server: FakeServer;
  http: ReturnType<typeof fakeFetch>;
}

export function fakeServices(
  options: {
    routes?: Routes;
    auth?: 'cookie' | 'bearer';
    canSwitchCamera?: boolean;
    dropRawHostCandidates?: boolean;
  } = {},
): TestServices {
  const server = new FakeServer();
  const http = fakeFetch(options.routes ?? defaultRoutes());
  const api = new Api({ httpBase: '', auth: options.auth ?? 'cookie', fetch: http.fetch });
  return {
    api,
    platform: fakePlatform({
      canSwitchCamera: options.canSwitchCamera,
      dropRawHostCandidates: options.dropRawHostCandidates,
    }),
    // As the app wires it (app/Root.tsx): each call's STUN/TURN servers come from GET /api/ice.
    createClient: (token) => server.client(token, { iceServersProvider: () => api.ice() }),
    server,
    http,
  };
}

export function renderWith(services: Services, ui: ReactElement) {
  return render(<ServicesContext.Provider value={services}>{ui}</ServicesContext.Provider>);
}

/** A fresh install: nothing kept on the device (the Meet-anyone switch, the languages offered). */
export function forgetDevice(): void {
  const stored = new File(Paths.document, 'device-settings.json');
  if (stored.exists) stored.delete();
}

/** Lets pending promises (fetch answers, getUserMedia) settle inside act(). */
export async function settle(): Promise<void> {
  await act(async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  });
}
