import { DEFAULT_ICE_REFRESH_MARGIN_MS, DEFAULT_ICE_REFRESH_RETRY_MS } from '../defaults.js';
import { MAX_TIMER_MS, type IceServersProvider } from './ice.js';
import type { IceServer } from './webrtc.js';

export interface IceRefreshOptions {
  provider: IceServersProvider;
  /** Credentials are refreshed this long before they expire (at most half their remaining life). */
  marginMs?: number;
  now: () => number;
  /** Fresh servers to use from the next gathering on. */
  apply: (iceServers: IceServer[]) => void;
  /** A fetch failed; it is tried again DEFAULT_ICE_REFRESH_RETRY_MS later. */
  report: (error: unknown) => void;
}

/**
 * Keeps a Call's STUN/TURN credentials fresh: fetched again a margin before they expire, so an
 * ICE restart (ours or the peer's) gathers relay candidates with valid ones; an expired username
 * gets 401 from the TURN server and the call loses its relay.
 */
export class IceRefresh {
  /** When the settings are due for a refresh (`now` clock). */
  private refreshAt = Number.POSITIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private refreshing: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly options: IceRefreshOptions,
    expiresAt: number,
  ) {
    this.schedule(expiresAt);
  }

  /** The settings in use are due for a refresh (the timer may not have run: a phone asleep in a pocket). */
  get due(): boolean {
    return this.options.now() >= this.refreshAt;
  }

  /** Fetches fresh settings and applies them; never rejects (a failure is reported and retried). One at a time. */
  refresh(): Promise<void> {
    this.refreshing ??= this.fetch().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Plans the next refresh for credentials expiring at `expiresAt`: a margin before, at most half their remaining life. */
  private schedule(expiresAt: number): void {
    const now = this.options.now();
    const margin = Math.min(this.options.marginMs ?? DEFAULT_ICE_REFRESH_MARGIN_MS, Math.max(0, (expiresAt - now) / 2));
    this.refreshAt = expiresAt - margin;
    this.setTimer(this.refreshAt - now);
  }

  private setTimer(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.refresh();
      },
      Math.min(Math.max(0, delayMs), MAX_TIMER_MS),
    );
  }

  private async fetch(): Promise<void> {
    if (this.stopped) return;
    const fetchedAt = this.options.now();
    try {
      const ice = await this.options.provider();
      if (this.stopped) return;
      this.options.apply(ice.iceServers);
      this.schedule(fetchedAt + ice.ttl * 1000);
    } catch (error) {
      this.options.report(error);
      if (!this.stopped) this.setTimer(DEFAULT_ICE_REFRESH_RETRY_MS);
    }
  }
}
