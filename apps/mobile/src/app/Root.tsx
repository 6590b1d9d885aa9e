/** The app as shipped: the real server, API, WebRTC and SDK client behind <App>. */
import { SmallTalkClient } from '@small-talk/client';
import { Api } from '../api';
import { iceServers, serverConfig } from '../config';
import { platform } from '../platform/webrtc';
import type { Services } from '../services';
import { App } from './App';

const server = serverConfig();

const services: Services = {
  api: new Api({ httpBase: server.httpBase, auth: server.auth }),
  platform,
  // The web passes no token: its WebSocket carries the st_session cookie by itself.
  createClient: (token) => new SmallTalkClient({ url: server.wsUrl, token }),
  iceServers: iceServers(),
};

export function Root() {
  return <App services={services} />;
}
