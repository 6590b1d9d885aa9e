import { Call, type CallOptions } from './call/call.js';
import type { IceServersProvider } from './call/ice.js';
import { SmallTalkError } from './errors.js';
import { Friends, type FriendsOptions } from './friends/friends.js';
import { Matchmaking, MatchmakingEvent, type MatchmakingOptions } from './matchmaking/matchmaking.js';
import { Socket, SocketEvent, type SocketOptions } from './socket/socket.js';

export interface SmallTalkClientOptions extends SocketOptions, Omit<MatchmakingOptions, 'acceptsCall'>, FriendsOptions {
  /**
   * Each call's STUN/TURN servers: GET /api/ice through the app's HTTP client. createCall()
   * fetches them before every call, and the Call fetches fresh TURN credentials before its
   * expire. Without it, calls use the iceServers given to createCall(), or none.
   */
  iceServersProvider?: IceServersProvider;
}

/** What createCall() needs beyond the room: the room supplies signaling and politeness. */
export type CreateCallOptions = Omit<CallOptions, 'signaling' | 'polite'>;

/**
 * The SDK wired together: one Socket, Matchmaking and Friends on it, and at most one Call, for
 * the current room. The parts stay public; use them directly for anything this doesn't cover.
 *
 *   const client = new SmallTalkClient({ url: 'wss://example.com/ws', token });
 *   client.matchmaking.on(MatchmakingEvent.Matched, async (m) => {
 *     if (m.resumed) return; // the same room after a reconnect: the Call goes on
 *     const call = await client.createCall({ webrtc: { RTCPeerConnection }, localStream });
 *     call.on(CallEvent.RemoteStream, (stream) => show(stream));
 *   });
 *   client.connect();
 *   client.matchmaking.join(['music']);
 */
export class SmallTalkClient {
  readonly socket: Socket;
  readonly matchmaking: Matchmaking;
  /** Friend requests, presence and direct calls; an answered call is a room of `matchmaking` (category null). */
  readonly friends: Friends;
  private _call: Call | null = null;
  private callRoomId: string | null = null;
  private readonly iceServersProvider: IceServersProvider | undefined;

  constructor(options: SmallTalkClientOptions) {
    this.iceServersProvider = options.iceServersProvider;
    this.socket = new Socket(options);
    this.friends = new Friends(this.socket, options);
    // A direct call's room is wanted only if it is the call Friends made or accepted.
    this.matchmaking = new Matchmaking(this.socket, {
      ...options,
      acceptsCall: (callId) => this.friends.acceptsCall(callId),
    });
    // The room is over: its Call can't negotiate any more and the peer has hung up.
    // Not on RoomLost: the media may still flow peer to peer, and the app decides.
    const endCall = ({ roomId }: { roomId: string }) => {
      if (roomId === this.callRoomId) this.closeCall();
    };
    this.matchmaking.on(MatchmakingEvent.Left, endCall);
    this.matchmaking.on(MatchmakingEvent.PeerLeft, endCall);
    // A restricted user's call ends at once, media included: the server ended its room.
    this.socket.on(SocketEvent.Message, (message) => {
      if (message.type === 'restricted') this.closeCall();
    });
  }

  /** The Call of the current room, if createCall() made one and it is not closed. */
  get call(): Call | null {
    return this._call;
  }

  connect(): void {
    this.socket.connect();
  }

  /** Ends the Call, if any, and closes the socket for good. */
  close(): void {
    this.closeCall();
    this.socket.close();
  }

  /**
   * A Call for the current room (matched, or made by an answered direct call): polite unless this side is the initiator, signaling bound to
   * the room. With an iceServersProvider (and no iceServers in `options`), its STUN/TURN
   * settings are fetched first; the peer's early signals wait for the Call meanwhile.
   * Replaces (and closes) a Call of an earlier room. Closed by the SDK when the room ends by
   * leave(), next() or the peer leaving.
   * The Call's ICE policy is the room's (`matched.iceTransportPolicy`), not the process-wide
   * one the provider returns: strangers relay through TURN, friends may connect directly.
   * `options.iceTransportPolicy: 'relay'` may make a call stricter than its room, never looser.
   * @throws SmallTalkError `not_in_room` when there is no room, or it ended while the
   *   settings were fetched; whatever the provider throws when they could not be.
   */
  async createCall(options: CreateCallOptions): Promise<Call> {
    const roomId = this.matchmaking.room?.roomId;
    if (roomId === undefined) throw new SmallTalkError('not_in_room', 'no current room to call in');
    let ice: Pick<CallOptions, 'iceServers' | 'iceServersProvider' | 'iceExpiresAt'> = {};
    const provider = this.iceServersProvider;
    if (provider && options.iceServers === undefined) {
      const fetchedAt = (options.now ?? Date.now)();
      const config = await provider();
      ice = {
        iceServers: config.iceServers,
        iceServersProvider: provider,
        iceExpiresAt: fetchedAt + config.ttl * 1000,
      };
    }
    const room = this.matchmaking.room;
    if (room?.roomId !== roomId) throw new SmallTalkError('not_in_room', 'the room ended before its call could start');
    const signaling = this.matchmaking.signaling(roomId);
    this.closeCall();
    const iceTransportPolicy = options.iceTransportPolicy === 'relay' ? 'relay' : room.iceTransportPolicy;
    // A room given back to a reloaded page: the peer's connection speaks to the one that is gone.
    const rejoin = options.rejoin ?? this.matchmaking.rejoined;
    const call = new Call({ ...options, ...ice, iceTransportPolicy, signaling, polite: !room.initiator, rejoin });
    this._call = call;
    this.callRoomId = roomId;
    return call;
  }

  private closeCall(): void {
    const call = this._call;
    this._call = null;
    this.callRoomId = null;
    call?.close();
  }
}
