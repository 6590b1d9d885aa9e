import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe: the bearer secret a client holds. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only this is stored, so a copy of the database cannot be replayed as sessions. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
