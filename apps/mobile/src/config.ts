/**
 * Where the server is. The web build is served by the server itself, so it talks to its own
 * origin (HTTP relative, `/ws` on the same host). A native build has no origin: it uses
 * EXPO_PUBLIC_SERVER_URL when set at build time, else app.json's `expo.extra.serverUrl`
 * (default http://10.0.2.2:3000, which is the development machine as seen from the Android
 * emulator; use the machine's LAN address for a real phone, https in production).
 */
import { Platform } from 'react-native';
import appJson from '../app.json';

export interface ServerConfig {
  /** Prefix of HTTP paths: '' on the web (same origin), else an absolute URL without trailing slash. */
  httpBase: string;
  /** ws:// or wss:// URL of the signaling socket. */
  wsUrl: string;
  /** The web relies on the HttpOnly st_session cookie; native apps send `Authorization: Bearer`. */
  auth: 'cookie' | 'bearer';
}

export function serverConfig(): ServerConfig {
  if (Platform.OS === 'web') {
    const { protocol, host } = window.location;
    return { httpBase: '', wsUrl: `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`, auth: 'cookie' };
  }
  const base = (process.env.EXPO_PUBLIC_SERVER_URL || appJson.expo.extra.serverUrl).replace(/\/+$/, '');
  return { httpBase: base, wsUrl: `${base.replace(/^http/, 'ws')}/ws`, auth: 'bearer' };
}
