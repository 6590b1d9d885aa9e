import { useEffect, useState } from 'react';
import { SocketEvent, type SmallTalkClient, type SocketState, type SocketStateInfo } from '@small-talk/client';

/** The live link's state (connecting, open, reconnecting, closed) and why it closed. */
export function useSocketState(client: SmallTalkClient): { state: SocketState; info: SocketStateInfo } {
  const [value, setValue] = useState(() => ({ state: client.socket.state, info: {} as SocketStateInfo }));
  useEffect(() => {
    setValue({ state: client.socket.state, info: {} });
    return client.socket.on(SocketEvent.State, (state, info) => setValue({ state, info }));
  }, [client]);
  return value;
}
