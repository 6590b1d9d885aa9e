/**
 * A tiny typed event emitter. Event names come from a string enum and each has a callback
 * type in a map, as in livekit's `RoomEvent` / `RoomEventCallbacks`:
 *
 *   type Callbacks = { [SocketEvent.State]: (state: SocketState) => void };
 *   class Socket extends Emitter<Callbacks> {}
 *
 * Kept here instead of using Node's `events` so the SDK runs unchanged in browsers and
 * React Native.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- in the constraint only: each map entry keeps its own precise parameter types (`unknown[]` would refuse them).
export type EventMap = { [event: string]: (...args: any[]) => void };

export class Emitter<Callbacks extends EventMap> {
  private readonly listeners = new Map<keyof Callbacks, Set<Callbacks[keyof Callbacks]>>();

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Callbacks>(event: E, listener: Callbacks[E]): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Adds a listener that is removed after its first call. */
  once<E extends keyof Callbacks>(event: E, listener: Callbacks[E]): () => void {
    const wrapper = ((...args: Parameters<Callbacks[E]>) => {
      off();
      listener(...args);
    }) as Callbacks[E];
    const off = this.on(event, wrapper);
    return off;
  }

  off<E extends keyof Callbacks>(event: E, listener: Callbacks[E]): void {
    this.listeners.get(event)?.delete(listener);
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }

  listenerCount<E extends keyof Callbacks>(event: E): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  protected emit<E extends keyof Callbacks>(event: E, ...args: Parameters<Callbacks[E]>): void {
    const set = this.listeners.get(event);
    if (!set) return;
    // A copy: a listener may remove itself (once) or others while we iterate.
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        // A throwing app listener is the app's bug, but it must not leave our state machine
        // half-updated: rethrow it on its own task, where it surfaces as an uncaught error.
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }
}
