/**
 * The least of a WebSocket the SDK uses. The browser's and React Native's `WebSocket` and the
 * `ws` package's all fit it as they are. Event parameters are typed loosely on purpose: each
 * platform has its own event classes, and we read only `data`, `code`, `reason` and `message`.
 */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /* eslint-disable @typescript-eslint/no-explicit-any -- each platform's own event classes must fit, as said above */
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

/**
 * Opens a socket to `url`, authenticated with `token` when the platform allows headers.
 * Inject one in Node, where the `ws` package is the WebSocket:
 *
 *   createWebSocket: (url, token) => new WebSocket(url, { headers: { authorization: `Bearer ${token}` } })
 */
export type CreateWebSocket = (url: string, token: string | undefined) => WebSocketLike;

/** The platform's own WebSocket: browsers and React Native have one as a global. */
export const createPlatformWebSocket: CreateWebSocket = (url, token) => {
  // Read at call time, never at module load: the SDK must import cleanly where there is none.
  const Platform = (
    globalThis as { WebSocket?: new (url: string, protocols?: string | string[], options?: unknown) => WebSocketLike }
  ).WebSocket;
  if (!Platform) {
    throw new Error('no global WebSocket here (Node 20?): pass createWebSocket, e.g. one built on the `ws` package');
  }
  if (token === undefined) return new Platform(url);
  // React Native's WebSocket takes headers as its third argument. A browser ignores the extra
  // argument and cannot send headers at all: there the st_session cookie authenticates.
  return new Platform(url, undefined, { headers: { Authorization: `Bearer ${token}` } });
};
