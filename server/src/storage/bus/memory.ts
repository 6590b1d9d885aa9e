import type { Delivery, Inbox, MessageBus } from './bus.js';

/** The message bus of a single process: every socket is here, so delivery is a map lookup. */
export class MemoryMessageBus implements MessageBus {
  private readonly inboxes = new Map<string, Inbox>();
  private readonly held = new Map<string, Delivery[]>();
  private overflowListener: (userId: string) => void = () => {};

  constructor(private readonly holdLimit: number) {}

  attach(userId: string, inbox: Inbox): Delivery[] {
    const previous = this.inboxes.get(userId);
    this.inboxes.set(userId, inbox);
    if (previous && previous !== inbox) previous.replace();
    const held = this.held.get(userId) ?? [];
    this.held.delete(userId);
    return held;
  }

  detach(userId: string, inbox: Inbox, hold: boolean): void {
    if (this.inboxes.get(userId) !== inbox) return;
    this.inboxes.delete(userId);
    if (!hold) return;
    // Keep what the closing socket refused: it was sent after the user left, and comes first.
    const held = this.held.get(userId) ?? [];
    this.held.set(userId, held);
    if (held.length > this.holdLimit) this.overflowListener(userId);
  }

  hold(userId: string): void {
    if (!this.inboxes.has(userId) && !this.held.has(userId)) this.held.set(userId, []);
  }

  release(userId: string): void {
    this.held.delete(userId);
  }

  isAttached(userId: string): boolean {
    return this.inboxes.has(userId);
  }

  deliver(userId: string, delivery: Delivery): void {
    const inbox = this.inboxes.get(userId);
    if (inbox?.deliver(delivery)) return;
    let held = this.held.get(userId);
    if (inbox && !held) this.held.set(userId, (held = []));
    if (!held) return;
    held.push(delivery);
    if (held.length === this.holdLimit + 1) this.overflowListener(userId);
  }

  onOverflow(listener: (userId: string) => void): void {
    this.overflowListener = listener;
  }
}
