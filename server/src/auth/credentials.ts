import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from '@small-talk/protocol';
import { parse as parseCookie } from 'cookie';

/**
 * The token a request carries: `Authorization: Bearer <token>` first (explicit beats ambient),
 * else the session cookie, under either name (`__Host-st_session` over https, `st_session`
 * otherwise: a deployment that turns Secure on keeps its users signed in). Never the URL: URLs
 * end up in logs and proxies.
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
    const cookies = parseCookie(headers.cookie);
    // The __Host- one first: only this host over https can have set it.
    const value = cookies[SECURE_SESSION_COOKIE] || cookies[SESSION_COOKIE];
    if (value) return value;
  }
  return null;
}
