import { SESSION_COOKIE } from '@small-talk/protocol';
import { parse as parseCookie } from 'cookie';

/**
 * The token a request carries: `Authorization: Bearer <token>` first (explicit beats ambient),
 * else the `st_session` cookie. Never the URL: URLs end up in logs and proxies.
 */
export function tokenFrom(headers: { authorization?: string | undefined; cookie?: string | undefined }): string | null {
  const auth = headers.authorization;
  // Only a Bearer header is ours: browsers on a password-protected site send `Basic` with every
  // request, and that must not hide the session cookie.
  if (auth && /^Bearer(\s|$)/i.test(auth)) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return match?.[1] ?? null;
  }
  if (headers.cookie) {
    const value = parseCookie(headers.cookie)[SESSION_COOKIE];
    if (value) return value;
  }
  return null;
}
