import { useCallback, useEffect, useRef, useState } from 'react';
import { MatchmakingEvent, SmallTalkError, type Call, type Room, type SmallTalkClient } from '@small-talk/client';
import { toMediaError, type LocalStream, type MediaProblem } from '../../platform/types';
import { useServices } from '../../services';

export type LocalMedia =
  | { status: 'requesting' }
  | { status: 'ready'; stream: LocalStream }
  | { status: 'failed'; problem: MediaProblem };

/** How the room on screen ended: the peer left (or its grace ran out), or the server lost it while we were away. */
export type RoomEnd = 'peer-left' | 'lost';

export interface Match {
  media: LocalMedia;
  /** When the current wait began, while queued (kept across a reconnect). */
  queuedAt: number | null;
  /** The room on screen: the current one, or the one that just ended (with `roomEnd`). */
  room: Room | null;
  /** The room's call (null while its STUN/TURN servers are fetched); it keeps its last state after the room ended. */
  call: Call | null;
  /** The room's call could not be set up: its STUN/TURN servers could not be fetched. */
  callFailed: boolean;
  roomEnd: RoomEnd | null;
  /** Set when the search stopped without a match (join refused, socket closed for good). */
  searchStopped: string | null;
  retryMedia(): void;
  retrySearch(): void;
  /** Skip to someone new at once: leave the room (if any) and queue again, same stream. */
  next(): void;
}

/**
 * One search, from camera to calls: gets the camera and microphone first (joining without
 * them would match someone who then sees nothing), queues in `categories`, starts a Call on
 * each new match, and keeps the same stream across Next. Unmounting ends it all: leaves the
 * room or the queue and stops the tracks.
 */
export function useMatch(client: SmallTalkClient, categories: readonly string[]): Match {
  const { platform } = useServices();
  const [mediaAttempt, setMediaAttempt] = useState(0);
  const [media, setMedia] = useState<LocalMedia>({ status: 'requesting' });
  const [queuedAt, setQueuedAt] = useState<number | null>(null);
  const [room, setRoom] = useState<Room | null>(null);
  const [call, setCall] = useState<Call | null>(null);
  const [callFailed, setCallFailed] = useState(false);
  const [roomEnd, setRoomEnd] = useState<RoomEnd | null>(null);
  const [searchStopped, setSearchStopped] = useState<string | null>(null);
  // The listeners below need the room on screen now, not the one of their render.
  const roomOnScreen = useRef<Room | null>(null);
  // The room whose Call is being created (its STUN/TURN servers on their way), so a resume meanwhile doesn't start a second one.
  const callStarting = useRef<string | null>(null);

  const showRoom = useCallback((next: Room | null) => {
    roomOnScreen.current = next;
    setRoom(next);
  }, []);

  useEffect(() => {
    let live = true;
    let acquired: LocalStream | null = null;
    setMedia({ status: 'requesting' });
    platform.getUserMedia().then(
      (stream) => {
        if (!live) return platform.stopStream(stream);
        acquired = stream;
        setMedia({ status: 'ready', stream });
      },
      (error: unknown) => live && setMedia({ status: 'failed', problem: toMediaError(error).problem }),
    );
    return () => {
      live = false;
      // End or Cancel: the camera light goes off.
      if (acquired) platform.stopStream(acquired);
    };
  }, [platform, mediaAttempt]);

  const stream = media.status === 'ready' ? media.stream : null;

  useEffect(() => {
    if (!stream) return;
    let live = true;
    const matchmaking = client.matchmaking;
    const startCall = (roomId: string) => {
      callStarting.current = roomId;
      setCall(null);
      setCallFailed(false);
      // Fetches the STUN/TURN servers (GET /api/ice) first: fresh TURN credentials for every call.
      client.createCall({ webrtc: platform.webrtc, localStream: stream }).then(
        (created) => {
          if (callStarting.current === roomId) callStarting.current = null;
          if (!live) return created.close();
          if (roomOnScreen.current?.roomId === roomId) setCall(created);
        },
        (error: unknown) => {
          if (callStarting.current === roomId) callStarting.current = null;
          // not_in_room: the room ended meanwhile (Next, End, the peer left), and the screen says so already.
          if (!live || roomOnScreen.current?.roomId !== roomId || (error instanceof SmallTalkError && error.code === 'not_in_room')) return;
          setCallFailed(true);
        },
      );
    };
    const offs = [
      matchmaking.on(MatchmakingEvent.State, (state) => {
        setQueuedAt(matchmaking.queuedAt);
        // Idle with no room on screen: the search ended without a match.
        if (state === 'idle' && !roomOnScreen.current) setSearchStopped((why) => why ?? 'Lost the connection to Small Talk.');
      }),
      matchmaking.on(MatchmakingEvent.Error, ({ code, message }) => {
        if (code === 'unknown_category' || code === 'bad_request') setSearchStopped(`The search was refused: ${message}`);
      }),
      matchmaking.on(MatchmakingEvent.Matched, (matched) => {
        setSearchStopped(null);
        setRoomEnd(null);
        showRoom(matched);
        // The same room after a reconnect: its Call goes on (the media may never have stopped).
        if (matched.resumed && (client.call || callStarting.current === matched.roomId)) return;
        startCall(matched.roomId);
      }),
      // The SDK closes the Call when the peer leaves; the screen stays, saying so and offering Next.
      matchmaking.on(MatchmakingEvent.PeerLeft, () => setRoomEnd('peer-left')),
      // The Call is left open: its media may still flow peer to peer until the user moves on.
      matchmaking.on(MatchmakingEvent.RoomLost, () => setRoomEnd('lost')),
      platform.onNetworkChange(() => {
        client.socket.reconnect();
        client.call?.restartIce();
      }),
    ];
    if (matchmaking.state === 'matched') matchmaking.leave();
    matchmaking.join(categories);
    setQueuedAt(matchmaking.queuedAt);
    return () => {
      live = false;
      for (const off of offs) off();
      if (matchmaking.state === 'matched') matchmaking.leave();
      else matchmaking.cancel();
      // After RoomLost the SDK leaves the Call to us.
      client.call?.close();
    };
  }, [client, stream, platform, categories, showRoom]);

  const next = useCallback(() => {
    client.call?.close();
    showRoom(null);
    setCall(null);
    setCallFailed(false);
    setRoomEnd(null);
    setSearchStopped(null);
    client.matchmaking.next();
    setQueuedAt(client.matchmaking.queuedAt);
  }, [client, showRoom]);

  const retrySearch = useCallback(() => {
    setSearchStopped(null);
    // Closed for good (gave up, or taken over by another tab): this is the user asking to come back.
    if (client.socket.state === 'closed') client.connect();
    if (client.matchmaking.state === 'idle') client.matchmaking.join(categories);
    setQueuedAt(client.matchmaking.queuedAt);
  }, [client, categories]);

  const retryMedia = useCallback(() => setMediaAttempt((n) => n + 1), []);

  return { media, queuedAt, room, call, callFailed, roomEnd, searchStopped, retryMedia, retrySearch, next };
}
