import { useCallback, useEffect, useRef, useState } from 'react';
import { MatchmakingEvent, type Call, type Room, type SmallTalkClient } from '@small-talk/client';
import { useLocalMedia, type LocalMedia } from './useLocalMedia';
import { useRoomCall, type RoomEnd } from './useRoomCall';

export type { LocalMedia } from './useLocalMedia';
export type { RoomEnd } from './useRoomCall';

/**
 * Why the search stopped without a match, as a code the screen puts in words: the connection
 * was lost for good, the server refused the join (an unknown category, or a join it could not
 * read), or the e-mail address must be confirmed first. The server's own message is English
 * and for developers, so it is never shown.
 */
export type SearchStop = 'lost' | 'unknown-category' | 'refused' | 'verification-required';

export interface Match {
  media: LocalMedia;
  /** When the current wait began, while queued (kept across a reconnect). */
  queuedAt: number | null;
  /** The search went beyond the categories (`anyone`, after the server's wait): say so. */
  widened: boolean;
  /** The room on screen: the current one, or the one that just ended (with `roomEnd`). */
  room: Room | null;
  /** The room's call (null while its STUN/TURN servers are fetched); it keeps its last state after the room ended. */
  call: Call | null;
  /** The room's call could not be set up: its STUN/TURN servers could not be fetched. */
  callFailed: boolean;
  roomEnd: RoomEnd | null;
  /** Set when the search stopped without a match (join refused, socket closed for good). */
  searchStopped: SearchStop | null;
  retryMedia(): void;
  retrySearch(): void;
  /** Skip to someone new at once: leave the room (if any) and queue again, same stream. */
  next(): void;
}

export interface MatchOptions {
  /** Meet anyone who shares a language after the server's wait (the Categories switch). */
  anyone?: boolean;
  /** The server admits only verified e-mail addresses: lead the user there. */
  onVerificationRequired?: () => void;
  /**
   * The room the server gave back to a page reloaded mid-call is on screen first, no search:
   * Next (or its end) searches `categories` as usual.
   */
  rejoin?: boolean;
}

/**
 * One search, from camera to calls: gets the camera and microphone first (joining without
 * them would match someone who then sees nothing), queues in `categories`, starts a Call on
 * each new match, and keeps the same stream across Next. Unmounting ends it all: leaves the
 * room or the queue and stops the tracks.
 */
export function useMatch(client: SmallTalkClient, categories: readonly string[], options: MatchOptions = {}): Match {
  const { anyone = false, onVerificationRequired, rejoin = false } = options;
  const { media, retryMedia } = useLocalMedia();
  const stream = media.status === 'ready' ? media.stream : null;
  // Declared before the queue below: its listeners are in place before the join goes out.
  const rooms = useRoomCall(client, stream, 'matched', { rejoin });
  // Read once, when the camera is ready: after that room, searches as any other.
  const rejoining = useRef(rejoin);
  const { currentRoom, clear } = rooms;
  const [queuedAt, setQueuedAt] = useState<number | null>(null);
  const [searchStopped, setSearchStopped] = useState<SearchStop | null>(null);
  const [widened, setWidened] = useState(false);
  // Read by the listener below without restarting the search when the screen re-renders.
  const verificationRequired = useRef(onVerificationRequired);
  verificationRequired.current = onVerificationRequired;

  useEffect(() => {
    if (!stream) return;
    const matchmaking = client.matchmaking;
    const offs = [
      matchmaking.on(MatchmakingEvent.State, (state) => {
        setQueuedAt(matchmaking.queuedAt);
        setWidened(matchmaking.widened);
        // Idle with no room on screen: the search ended without a match.
        if (state === 'idle' && !currentRoom()) setSearchStopped((why) => why ?? 'lost');
      }),
      matchmaking.on(MatchmakingEvent.Error, ({ code }) => {
        if (code === 'unknown_category') setSearchStopped('unknown-category');
        if (code === 'bad_request') setSearchStopped('refused');
        if (code === 'verification_required') {
          setSearchStopped('verification-required');
          verificationRequired.current?.();
        }
      }),
      matchmaking.on(MatchmakingEvent.Widened, () => setWidened(true)),
      matchmaking.on(MatchmakingEvent.Matched, (matched) => !matched.direct && setSearchStopped(null)),
    ];
    const given = matchmaking.room;
    if (rejoining.current && given && !given.direct) {
      // Its call screen shows (useRoomCall); nothing to search for until Next.
    } else {
      if (matchmaking.state === 'matched') matchmaking.leave();
      matchmaking.join(categories, { anyone });
    }
    rejoining.current = false;
    setQueuedAt(matchmaking.queuedAt);
    setWidened(false);
    return () => {
      for (const off of offs) off();
      matchmaking.cancel();
    };
  }, [client, stream, categories, anyone, currentRoom]);

  const next = useCallback(() => {
    clear();
    setSearchStopped(null);
    // After a rejoined room this page never joined: its first search is here.
    if (client.matchmaking.categories.length === 0) {
      client.matchmaking.leave();
      client.matchmaking.join(categories, { anyone });
    } else {
      client.matchmaking.next();
    }
    setQueuedAt(client.matchmaking.queuedAt);
  }, [client, clear, categories, anyone]);

  const retrySearch = useCallback(() => {
    setSearchStopped(null);
    // Closed for good (gave up, or taken over by another tab): this is the user asking to come back.
    if (client.socket.state === 'closed') client.connect();
    if (client.matchmaking.state === 'idle') client.matchmaking.join(categories, { anyone });
    setQueuedAt(client.matchmaking.queuedAt);
  }, [client, categories, anyone]);

  return {
    media,
    queuedAt,
    widened,
    room: rooms.room,
    call: rooms.call,
    callFailed: rooms.callFailed,
    roomEnd: rooms.roomEnd,
    searchStopped,
    retryMedia,
    retrySearch,
    next,
  };
}
