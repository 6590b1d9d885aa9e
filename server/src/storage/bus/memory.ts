import type { Delivery, FramesSentAway, Inbox, MessageBus } from './bus.js';

/** The message bus of a single process: every socket is here, so delivery is a map lookup. */
export class MemoryMessageBus implements MessageBus {
  private readonly inboxes = new Map<string, Inbox>();
  /** Frames held for users who are away, in order; a user is away while it has an entry here. */
  private readonly held = new Map<string, Delivery[]>();
  /** The latest of each state (`stateKey`) for a user who is away: never counted toward the limit. */
  private readonly heldStates = new Map<string, Map<string, Delivery>>();
  private overflowListener: (userId: string) => void = () => {};

  constructor(private readonly holdLimit: number) {}

  async attach(userId: string, inbox: Inbox, greeting: readonly Delivery[]): Promise<void> {
    const previous = this.inboxes.get(userId);
    this.inboxes.set(userId, inbox);
    if (previous && previous !== inbox) previous.replace();
    const held = this.held.get(userId) ?? [];
    const states = this.heldStates.get(userId);
    this.held.delete(userId);
    this.heldStates.delete(userId);
    for (const delivery of greeting) inbox.deliver(delivery);
    const pending = states ? [...held, ...states.values()] : held;
    for (const [i, delivery] of pending.entries()) {
      if (!inbox.deliver(delivery)) {
        // Closing already: what it could not take waits for the user's next socket.
        const rest = pending.slice(i);
        this.held.set(
          userId,
          rest.filter((d) => d.stateKey === undefined),
        );
        for (const state of rest) if (state.stateKey !== undefined) this.holdState(userId, state.stateKey, state);
        return;
      }
    }
  }

  detach(userId: string, inbox: Inbox): boolean {
    if (this.inboxes.get(userId) !== inbox) return false;
    this.inboxes.delete(userId);
    // Keep what the closing socket refused: it was sent after the user left, and comes first.
    const held = this.held.get(userId) ?? [];
    this.held.set(userId, held);
    if (held.length > this.holdLimit) this.overflowListener(userId);
    return true;
  }

  async awaitReturn(userId: string): Promise<boolean> {
    return !this.inboxes.has(userId) && this.held.has(userId);
  }

  async claimAbsence(userId: string): Promise<boolean> {
    if (this.inboxes.has(userId) || !this.held.has(userId)) return false;
    this.drop(userId);
    return true;
  }

  async release(userId: string): Promise<void> {
    if (!this.inboxes.has(userId)) this.drop(userId);
  }

  hold(userId: string): void {
    if (!this.inboxes.has(userId) && !this.held.has(userId)) this.held.set(userId, []);
  }

  framesSentAway(): FramesSentAway {
    return { link: 0, redis: 0 };
  }

  async connectedCount(): Promise<number> {
    return this.inboxes.size;
  }

  async online(userIds: readonly string[]): Promise<Set<string>> {
    return new Set(userIds.filter((id) => this.inboxes.has(id) || this.held.has(id)));
  }

  /** Nothing waits: every delivery here is made at once. */
  flush(): void {}

  deliver(userId: string, delivery: Delivery): void {
    const inbox = this.inboxes.get(userId);
    if (inbox?.deliver(delivery)) return;
    let held = this.held.get(userId);
    if (inbox && !held) this.held.set(userId, (held = []));
    if (!held) return;
    if (delivery.stateKey !== undefined) return this.holdState(userId, delivery.stateKey, delivery);
    held.push(delivery);
    if (held.length === this.holdLimit + 1) this.overflowListener(userId);
  }

  onOverflow(listener: (userId: string) => void): void {
    this.overflowListener = listener;
  }

  async settle(): Promise<void> {
    // One process: nobody can come back anywhere else.
  }

  async close(): Promise<void> {}

  /** Replaces the held state under `key`: a user away gets only the latest, and it is not counted. */
  private holdState(userId: string, key: string, delivery: Delivery): void {
    let states = this.heldStates.get(userId);
    if (!states) this.heldStates.set(userId, (states = new Map()));
    states.set(key, delivery);
  }

  private drop(userId: string): void {
    this.held.delete(userId);
    this.heldStates.delete(userId);
  }
}
