import { useCallback, useEffect, useRef, useState } from 'react';
import { MatchmakingEvent, SmallTalkError, type Call, type Room, type SmallTalkClient } from '@small-talk/client';
import type { LocalStream } from '../../platform/types';
import { useServices } from '../../services';

/** How the room on screen ended: the peer left (or its grace ran out), or the server lost it while we were away. */
export type RoomEnd = 'peer-left' | 'lost';

/**
 * Which rooms a screen takes: `matched` ones (made by the queue, in a category or by a widened
 * search), or the `direct` one of a call between friends (Room.direct). Each screen leaves the other kind to
 * the screen it belongs to, and never leaves a room it did not show.
 */
export type RoomKind = 'matched' | 'direct';

export interface RoomCall {
  /** The room on screen: the current one, or the one that just ended (with `roomEnd`). */
  room: Room | null;
  /** The room's call (null while its STUN/TURN servers are fetched); it keeps its last state after the room ended. */
  call: Call | null;
  /** The room's call could not be set up: its STUN/TURN servers could not be fetched. */
  callFailed: boolean;
  roomEnd: RoomEnd | null;
  /** The room on screen now, for listeners (a render's `room` may be older). */
  currentRoom(): Room | null;
  /** Takes the room off the screen and closes its Call (Next). */
  clear(): void;
}

/**
 * The rooms of one screen and their calls, once `stream` (the camera) is ready: starts a Call
 * on each new room of its kind, keeps it across a resume, says when the room ended. A direct
 * call's room may exist before the camera is ready: it is taken as soon as it is. Unmounting
 * leaves the room on screen and closes its Call.
 */
export function useRoomCall(
  client: SmallTalkClient,
  stream: LocalStream | null,
  kind: RoomKind,
  options: { rejoin?: boolean } = {},
): RoomCall {
  const { rejoin = false } = options;
  const { platform } = useServices();
  const [room, setRoom] = useState<Room | null>(null);
  const [call, setCall] = useState<Call | null>(null);
  const [callFailed, setCallFailed] = useState(false);
  const [roomEnd, setRoomEnd] = useState<RoomEnd | null>(null);
  // The listeners below need the room on screen now, not the one of their render.
  const roomOnScreen = useRef<Room | null>(null);
  // The room whose Call is being created (its STUN/TURN servers on their way), so a resume meanwhile doesn't start a second one.
  const callStarting = useRef<string | null>(null);

  const showRoom = useCallback((next: Room | null) => {
    roomOnScreen.current = next;
    setRoom(next);
  }, []);

  useEffect(() => {
    if (!stream) return;
    let live = true;
    const matchmaking = client.matchmaking;
    const ours = (candidate: Room) => candidate.direct === (kind === 'direct');
    const onScreen = (roomId: string) => roomOnScreen.current?.roomId === roomId;
    const startCall = (roomId: string) => {
      callStarting.current = roomId;
      setCall(null);
      setCallFailed(false);
      // Fetches the STUN/TURN servers (GET /api/ice) first: fresh TURN credentials for every call.
      // The ICE policy is the room's (matched.iceTransportPolicy): the SDK applies it.
      client
        .createCall({
          webrtc: platform.webrtc,
          localStream: stream,
          dropRawHostCandidates: platform.dropRawHostCandidates,
        })
        .then(
          (created) => {
            if (callStarting.current === roomId) callStarting.current = null;
            if (!live) return created.close();
            if (onScreen(roomId)) setCall(created);
          },
          (error: unknown) => {
            if (callStarting.current === roomId) callStarting.current = null;
            // not_in_room: the room ended meanwhile (Next, End, the peer left), and the screen says so already.
            if (!live || !onScreen(roomId) || (error instanceof SmallTalkError && error.code === 'not_in_room')) return;
            setCallFailed(true);
          },
        );
    };
    const offs = [
      matchmaking.on(MatchmakingEvent.Matched, (matched) => {
        if (!ours(matched)) return;
        setRoomEnd(null);
        showRoom(matched);
        // The same room after a reconnect: its Call goes on (the media may never have stopped).
        if (matched.resumed && (client.call || callStarting.current === matched.roomId)) return;
        startCall(matched.roomId);
      }),
      // The SDK closes the Call when the peer leaves; the screen stays, saying so and offering Next.
      matchmaking.on(MatchmakingEvent.PeerLeft, ({ roomId }) => onScreen(roomId) && setRoomEnd('peer-left')),
      // The Call is left open: its media may still flow peer to peer until the user moves on.
      matchmaking.on(MatchmakingEvent.RoomLost, ({ roomId }) => onScreen(roomId) && setRoomEnd('lost')),
      platform.onNetworkChange(() => {
        client.socket.reconnect();
        client.call?.restartIce();
      }),
    ];
    // A friend's call: the room may have begun while the camera was starting. A room given back
    // to a reloaded page (rejoin) came before this screen did.
    const current = matchmaking.room;
    if ((kind === 'direct' || rejoin) && current && ours(current) && !onScreen(current.roomId)) {
      setRoomEnd(null);
      showRoom(current);
      startCall(current.roomId);
    }
    return () => {
      live = false;
      for (const off of offs) off();
      const shown = roomOnScreen.current;
      if (shown && matchmaking.room?.roomId === shown.roomId) matchmaking.leave();
      // After RoomLost the SDK leaves the Call to us.
      client.call?.close();
    };
  }, [client, stream, platform, kind, rejoin, showRoom]);

  const currentRoom = useCallback(() => roomOnScreen.current, []);

  const clear = useCallback(() => {
    client.call?.close();
    showRoom(null);
    setCall(null);
    setCallFailed(false);
    setRoomEnd(null);
  }, [client, showRoom]);

  return { room, call, callFailed, roomEnd, currentRoom, clear };
}
