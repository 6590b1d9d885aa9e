import { Call, type CallOptions } from './call/call.js';
import { Matchmaking, MatchmakingEvent, type MatchmakingOptions } from './matchmaking/matchmaking.js';
import { Socket, type SocketOptions } from './socket/socket.js';

export interface SmallTalkClientOptions extends SocketOptions, MatchmakingOptions {}

/** What createCall() needs beyond the room: the room supplies signaling and politeness. */
export type CreateCallOptions = Omit<CallOptions, 'signaling' | 'polite'>;

/**
 * The SDK wired together: one Socket, Matchmaking on it, and at most one Call, for the
 * current room. The parts stay public; use them directly for anything this doesn't cover.
 *
 *   const client = new SmallTalkClient({ url: 'wss://example.com/ws', token });
 *   client.matchmaking.on(MatchmakingEvent.Matched, async (m) => {
 *     if (m.resumed) return; // the same room after a reconnect: the Call goes on
 *     const call = client.createCall({ webrtc: { RTCPeerConnection }, localStream });
 *     call.on(CallEvent.RemoteStream, (stream) => show(stream));
 *   });
 *   client.connect();
 *   client.matchmaking.join(['music']);
 */
export class SmallTalkClient {
  readonly socket: Socket;
  readonly matchmaking: Matchmaking;
  private _call: Call | null = null;
  private callRoomId: string | null = null;

  constructor(options: SmallTalkClientOptions) {
    this.socket = new Socket(options);
    this.matchmaking = new Matchmaking(this.socket, options);
    // The room is over: its Call can't negotiate any more and the peer has hung up.
    // Not on RoomLost: the media may still flow peer to peer, and the app decides.
    const endCall = ({ roomId }: { roomId: string }) => {
      if (roomId === this.callRoomId) this.closeCall();
    };
    this.matchmaking.on(MatchmakingEvent.Left, endCall);
    this.matchmaking.on(MatchmakingEvent.PeerLeft, endCall);
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
   * A Call for the current room: polite unless this side is the initiator, signaling bound to
   * the room. Replaces (and closes) a Call of an earlier room. Closed by the SDK when the
   * room ends by leave(), next() or the peer leaving.
   * @throws SmallTalkError `not_in_room` when there is no room.
   */
  createCall(options: CreateCallOptions): Call {
    const room = this.matchmaking.room;
    const signaling = this.matchmaking.signaling(room?.roomId);
    this.closeCall();
    const call = new Call({ ...options, signaling, polite: !room!.initiator });
    this._call = call;
    this.callRoomId = room!.roomId;
    return call;
  }

  private closeCall(): void {
    const call = this._call;
    this._call = null;
    this.callRoomId = null;
    call?.close();
  }
}
