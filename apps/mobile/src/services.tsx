/**
 * What the screens get from outside: the HTTP API, the platform's WebRTC, and a way to make
 * the SDK client. The app passes the real ones (navigation/Root.tsx); tests pass fakes, so no screen
 * reaches for a global, a socket or a camera by itself.
 */
import { createContext, useContext } from 'react';
import type { SmallTalkClient } from '@small-talk/client';
import type { Api } from './api';
import type { WebRtcPlatform } from './platform/types';

export interface Services {
  api: Api;
  platform: WebRtcPlatform;
  /**
   * A client for one signed-in session; `token` is undefined on the web, where the cookie
   * authenticates. Its calls get their STUN/TURN servers from GET /api/ice, through `api`.
   */
  createClient(token: string | undefined): SmallTalkClient;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices() outside <ServicesContext.Provider>');
  return services;
}
