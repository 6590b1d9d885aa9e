import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/** Whether the hop at `address` (`hop` 0 is the TCP peer) is a proxy whose forwarded headers we believe. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * TRUST_PROXY compiled once. Fastify gets the same function (its `trustProxy`), so request.ip,
 * request.protocol and the WebSocket edge all agree on who the client is. With no proxies
 * listed nobody is trusted: X-Forwarded-For is a header any client can write.
 */
export function proxyTrust(proxies: readonly string[]): ProxyTrust {
  return proxies.length > 0 ? proxyAddr.compile([...proxies]) : () => false;
}

/**
 * The client's address: the TCP peer, or, when the peer is a trusted proxy, the address it
 * forwarded (X-Forwarded-For, read from the right, stopping at the first untrusted hop).
 * Fastify's request.ip for HTTP; this for requests Fastify never sees (WebSocket upgrades).
 */
export function clientAddress(request: IncomingMessage, trust: ProxyTrust): string {
  // A socket already closed has no remoteAddress; proxy-addr would throw on it.
  if (request.socket.remoteAddress === undefined) return 'unknown';
  return proxyAddr(request, trust);
}
