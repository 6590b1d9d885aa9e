import { createHmac } from 'node:crypto';
import type { IceResponse, IceServer, IceTransportPolicy } from '@small-talk/protocol';

export interface IceSettings {
  stunUrls: string[];
  turnUrls: string[];
  /** Shared with the TURN server (coturn's static-auth-secret); required when turnUrls is not empty. */
  turnSecret: string | undefined;
  /** Lifetime of TURN credentials, in seconds. */
  ttlS: number;
  policy: IceTransportPolicy;
}

/**
 * TURN credentials in the TURN REST API convention that coturn checks with `use-auth-secret`:
 * the username carries its own expiry, and the credential proves the server issued it, so the
 * TURN server needs no user database and no call to us.
 */
export function turnCredentials(
  secret: string,
  userId: string,
  expiresAtS: number,
): { username: string; credential: string } {
  const username = `${expiresAtS}:${userId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/** What GET /api/ice answers `userId` at `nowMs`: STUN servers, then TURN servers with fresh credentials. */
export function iceServersFor(settings: IceSettings, userId: string, nowMs: number = Date.now()): IceResponse {
  const iceServers: IceServer[] = [];
  if (settings.stunUrls.length > 0) iceServers.push({ urls: settings.stunUrls });
  if (settings.turnUrls.length > 0 && settings.turnSecret !== undefined) {
    const expiresAtS = Math.floor(nowMs / 1000) + settings.ttlS;
    iceServers.push({ urls: settings.turnUrls, ...turnCredentials(settings.turnSecret, userId, expiresAtS) });
  }
  return { iceServers, iceTransportPolicy: settings.policy, ttl: settings.ttlS };
}
