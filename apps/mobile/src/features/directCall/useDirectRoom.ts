import { useEffect, useState } from 'react';
import { FriendsEvent, type SmallTalkClient } from '@small-talk/client';
import { useLocalMedia, type LocalMedia } from '../call/useLocalMedia';
import { useRoomCall, type RoomCall } from '../call/useRoomCall';

export interface DirectRoom extends Omit<RoomCall, 'currentRoom' | 'clear'> {
  media: LocalMedia;
  retryMedia(): void;
  /** The call ended before it became a room (the caller hung up as it was answered, the socket dropped, …). */
  endedBeforeRoom: boolean;
}

/**
 * A call between friends, once answered: the camera, then the room the server makes for the
 * two (`matched` with no category; it may come before the camera is ready), and its Call.
 * Unmounting leaves the room, shown or not, or hangs up an outgoing call that has no room yet.
 */
export function useDirectRoom(client: SmallTalkClient): DirectRoom {
  const { media, retryMedia } = useLocalMedia();
  const stream = media.status === 'ready' ? media.stream : null;
  const { room, call, callFailed, roomEnd, currentRoom } = useRoomCall(client, stream, 'direct');
  const [endedBeforeRoom, setEndedBeforeRoom] = useState(false);

  useEffect(() => {
    const ended = () => {
      if (!currentRoom() && !client.matchmaking.room) setEndedBeforeRoom(true);
    };
    // CallEnded: the ring ended (cancelled, offline); Error: the answer came too late (`not_found`).
    const offs = [client.friends.on(FriendsEvent.CallEnded, ended), client.friends.on(FriendsEvent.Error, ended)];
    return () => {
      for (const off of offs) off();
      // The room came but never showed (the camera failed): useRoomCall left only the room it showed.
      const current = client.matchmaking.room;
      if (current?.direct && !currentRoom()) client.matchmaking.leave();
      // An outgoing call with no room yet: the friend stops ringing.
      client.friends.hangUp();
    };
  }, [client, currentRoom]);

  return { media, retryMedia, room, call, callFailed, roomEnd, endedBeforeRoom };
}
