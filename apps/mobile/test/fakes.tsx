/**
 * Fakes for what can't run under jest: the server (its HTTP answers and its WebSocket) and the
 * platform's WebRTC (camera, peer connection, video views). The SDK itself is the real one,
 * driven through a fake WebSocket, so the screens are tested against its true events.
 */
import { act, render } from '@testing-library/react-native';
import type { ReactElement } from 'react';
import { Text, View } from 'react-native';
import { SmallTalkClient, type MediaStreamLike, type SmallTalkClientOptions, type WebSocketLike } from '@small-talk/client';
import { Peer, type Category, type Connection, type Friend, type FriendRequest, type FriendsResponse, type IceResponse, type IceTransportPolicy, type OwnUser, type Presence, type ServerMessage } from '@small-talk/protocol';
import type { z } from 'zod';
import { File, Paths } from 'expo-file-system';
import { Api } from '../src/api';
import { MediaError, type LocalStream, type LocalTrack, type MediaProblem, type VideoViewProps, type WebRtcPlatform } from '../src/platform/types';
import { ServicesContext, type Services } from '../src/services';

// ---- the server's WebSocket ---------------------------------------------------

export class FakeWebSocket implements WebSocketLike {
  onopen: ((event: any) => void) | null = null;
  onmessage: ((event: any) => void) | null = null;
  onclose: ((event: any) => void) | null = null;
  onerror: ((event: any) => void) | null = null;
  /** Frames the app sent, parsed. */
  readonly sent: Array<{ type: string; [field: string]: unknown }> = [];
  closed = false;
  /** The server side went away (drop()). */
  dropped = false;

  constructor(
    readonly url: string,
    readonly token: string | undefined,
  ) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.closed = true;
  }

  /** A frame from the server, as it goes on the wire (fields with a default may be left out). */
  receive(frame: z.input<typeof ServerMessage>): Promise<void> {
    return act(() => this.onmessage?.({ data: JSON.stringify(frame) }));
  }

  /** The connection drops (1006 unless told otherwise). */
  drop(code = 1006): Promise<void> {
    this.dropped = true;
    return act(() => this.onclose?.({ code }));
  }

  sentOfType(type: string) {
    return this.sent.filter((frame) => frame.type === type);
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

  readonly createWebSocket = (url: string, token: string | undefined): FakeWebSocket => {
    const socket = new FakeWebSocket(url, token);
    this.sockets.push(socket);
    return socket;
  };

  /** A real SDK client on this fake server. */
  client(token?: string, options: Partial<SmallTalkClientOptions> = {}): SmallTalkClient {
    return new SmallTalkClient({ url: 'ws://test/ws', token, createWebSocket: this.createWebSocket, ...options });
  }

  /** Waits for the SDK's next socket (its reconnect runs on a timer) and welcomes it. */
  async welcomeBack(user: OwnUser = ada): Promise<void> {
    await act(async () => {
      for (let i = 0; i < 50 && this.socket.dropped; i++) await new Promise((resolve) => setTimeout(resolve, 1));
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
    room: Partial<{ roomId: string; peer: PeerLike & { bio?: string }; category: string | null; initiator: boolean; resumed: boolean; iceTransportPolicy: IceTransportPolicy }> = {},
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
export type Routes = Record<string, (request: { body: any; headers: Record<string, string> }) => Answer | Promise<Answer>>;

const unauthenticated: Answer = [401, { error: { code: 'unauthenticated', message: 'sign in first: no valid session' } }];

/** Routes keyed "METHOD /path" (the query string is ignored); anything else is a 404. A Uint8Array answer is sent as bytes (a JPEG). */
export function fakeFetch(routes: Routes) {
  const calls: Array<{ method: string; path: string; url: string; init: RequestInit }> = [];
  const fetch = async (url: string | URL | Request, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const path = String(url).replace(/^https?:\/\/[^/]+/, '').split('?')[0]!;
    calls.push({ method, path, url: String(url), init });
    const route = routes[`${method} ${path}`];
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    const [status, answer] = route ? await route({ body, headers: (init.headers ?? {}) as Record<string, string> }) : [404, { error: { code: 'not_found', message: 'no such route' } }];
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
    'POST /api/auth/guest': ({ body }) => [201, { user: { ...ada, displayName: body.displayName, consent: null }, token: 'token-ada' }],
    'POST /api/me/consent': ({ body }) => {
      if (body.rulesVersion !== rules.version) return [409, { error: { code: 'rules_changed', message: 'the rules changed' } }];
      if (Number(String(body.birthDate).slice(0, 4)) >= 2015) return [403, { error: { code: 'underage', message: 'too young' } }];
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
  private readonly listeners = new Map<string, Set<(event: any) => void>>();

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
  addEventListener(type: string, listener: (event: any) => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }
  removeEventListener(type: string, listener: (event: any) => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  setConnectionState(state: string): Promise<void> {
    this.connectionState = state;
    return act(() => this.fire('connectionstatechange', {}));
  }

  /** ICE gathering finds these candidate lines (`candidate:…`), then ends. */
  gather(...lines: string[]): Promise<void> {
    return act(() => {
      for (const candidate of lines) this.fire('icecandidate', { candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } });
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
    <View testID={testID} accessibilityLabel={`video ${stream?.id ?? 'none'}${mirror ? ' mirrored' : ''}${muted ? ' muted' : ''}${blurred ? ' blurred' : ''}`}>
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

export function fakePlatform(options: { canSwitchCamera?: boolean; dropRawHostCandidates?: boolean } = {}): FakePlatform {
  const failures: MediaProblem[] = [];
  const platform: FakePlatform = {
    streams: [],
    switched: 0,
    failNext: (...problems) => failures.push(...problems),
    webrtc: { RTCPeerConnection: FakePeerConnection as any },
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

export function fakeServices(options: { routes?: Routes; auth?: 'cookie' | 'bearer'; canSwitchCamera?: boolean; dropRawHostCandidates?: boolean } = {}): TestServices {
  const server = new FakeServer();
  const http = fakeFetch(options.routes ?? defaultRoutes());
  const api = new Api({ httpBase: '', auth: options.auth ?? 'cookie', fetch: http.fetch });
  return {
    api,
    platform: fakePlatform({ canSwitchCamera: options.canSwitchCamera, dropRawHostCandidates: options.dropRawHostCandidates }),
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
