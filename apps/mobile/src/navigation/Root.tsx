/** The app as shipped: the real server, API, WebRTC and SDK client behind <App>. */
import { SmallTalkClient } from '@small-talk/client';
import { Api } from '../api';
import { serverConfig } from '../config';
import { registerServiceWorker } from '../features/offline/serviceWorker';
import { platform } from '../platform/webrtc';
import type { Services } from '../services';
import { App } from './App';

registerServiceWorker();
const server = serverConfig();
const api = new Api({ httpBase: server.httpBase, auth: server.auth });

const services: Services = {
  api,
  platform,
  // The web passes no token: its WebSocket (and /api/ice) carry the st_session cookie by themselves.
  createClient: (token) => new SmallTalkClient({ url: server.wsUrl, token, iceServersProvider: () => api.ice() }),
};

export function Root() {
  return <App services={services} />;
}
