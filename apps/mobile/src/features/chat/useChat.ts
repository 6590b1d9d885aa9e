import { useCallback, useEffect, useRef, useState } from 'react';
import { MatchmakingEvent, type SmallTalkClient } from '@small-talk/client';
import { TYPING_SEND_EVERY_MS, TYPING_SHOWN_MS } from '../../defaults';

export interface ChatLine {
  id: number;
  /** Sent by this user (true) or by the peer. */
  mine: boolean;
  text: string;
}

export interface Chat {
  lines: ChatLine[];
  peerTyping: boolean;
  /** Sends `text` to the peer; false if it couldn't be (no room any more, or nothing to send). */
  send(text: string): boolean;
  /** Call on every keystroke: tells the peer, at most every TYPING_SEND_EVERY_MS. */
  typing(): void;
}

let nextLineId = 1;

/** The chat of one room: its lines, the peer's typing indicator, and sending. */
export function useChat(client: SmallTalkClient, roomId: string): Chat {
  const [lines, setLines] = useState<ChatLine[]>([]);
  const [peerTyping, setPeerTyping] = useState(false);
  const lastTypingSent = useRef(0);

  useEffect(() => {
    const matchmaking = client.matchmaking;
    let typingTimer: ReturnType<typeof setTimeout> | undefined;
    const offs = [
      matchmaking.on(MatchmakingEvent.Chat, (chat) => {
        if (chat.roomId !== roomId) return;
        // The message is what they were typing.
        clearTimeout(typingTimer);
        setPeerTyping(false);
        setLines((all) => [...all, { id: nextLineId++, mine: false, text: chat.text }]);
      }),
      matchmaking.on(MatchmakingEvent.Typing, (event) => {
        if (event.roomId !== roomId) return;
        setPeerTyping(true);
        // No "stopped typing" frame exists: hide the indicator once the frames stop coming.
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => setPeerTyping(false), TYPING_SHOWN_MS);
      }),
    ];
    return () => {
      for (const off of offs) off();
      clearTimeout(typingTimer);
    };
  }, [client, roomId]);

  const send = useCallback(
    (text: string) => {
      // Sent as typed (the protocol doesn't trim), but a blank message says nothing.
      if (text.trim() === '' || client.matchmaking.room?.roomId !== roomId) return false;
      if (!client.matchmaking.sendChat(text)) return false;
      lastTypingSent.current = 0;
      setLines((all) => [...all, { id: nextLineId++, mine: true, text }]);
      return true;
    },
    [client, roomId],
  );

  const typing = useCallback(() => {
    const now = Date.now();
    if (now - lastTypingSent.current < TYPING_SEND_EVERY_MS) return;
    lastTypingSent.current = now;
    client.matchmaking.sendTyping();
  }, [client]);

  return { lines, peerTyping, send, typing };
}
