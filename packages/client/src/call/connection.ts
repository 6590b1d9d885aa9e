import {
  DEFAULT_CALL_CONNECT_TIMEOUT_MS,
  DEFAULT_DISCONNECTED_RESTART_MS,
  DEFAULT_MAX_ICE_RESTARTS,
} from '../defaults.js';
import { MAX_TIMER_MS } from './ice.js';
import type { CallState } from './types.js';
import type { PeerConnectionLike } from './webrtc.js';

export interface ConnectionWatchOptions {
  /** `disconnected` lasting this long restarts ICE. */
  disconnectedRestartMs?: number;
  /** ICE restarts in a row without `connected` before the state is `failed`. */
  maxIceRestarts?: number;
  /** Not `connected` this long after the start: the state is `failed`. 0 waits forever. */
  connectTimeoutMs?: number;
  /** The Call's current peer connection (a new one after the peer's `reset`). */
  peerConnection: () => PeerConnectionLike;
  state: () => CallState;
  setState: (state: CallState) => void;
  /** Restarts ICE (with fresh TURN credentials if they are due). */
  restartIce: () => void;
}

type Timer = ReturnType<typeof setTimeout>;

/**
 * A Call's connection state and its repair: `disconnected` that lasts, or `failed`, restarts ICE
 * (up to maxIceRestarts in a row), and a call that never connects is `failed` after connectTimeoutMs.
 */
export class ConnectionWatch {
  private restarts = 0;
  private disconnectedTimer: Timer | null = null;
  private connectTimer: Timer | null = null;
  private stopped = false;

  constructor(private readonly options: ConnectionWatchOptions) {
    const connectTimeout = options.connectTimeoutMs ?? DEFAULT_CALL_CONNECT_TIMEOUT_MS;
    if (connectTimeout > 0)
      this.connectTimer = setTimeout(() => this.onConnectTimeout(), Math.min(connectTimeout, MAX_TIMER_MS));
  }

  /** The peer connection's state changed. */
  onChange(): void {
    if (this.stopped) return;
    switch (currentState(this.options.peerConnection())) {
      case 'connecting':
        if (this.options.state() === 'new') this.options.setState('connecting');
        return;
      case 'connected':
        this.clearDisconnectedTimer();
        this.clearConnectTimer();
        this.restarts = 0;
        this.options.setState('connected');
        return;
      case 'disconnected':
        this.options.setState('reconnecting');
        if (!this.disconnectedTimer) {
          const wait = this.options.disconnectedRestartMs ?? DEFAULT_DISCONNECTED_RESTART_MS;
          this.disconnectedTimer = setTimeout(() => {
            this.disconnectedTimer = null;
            if (!this.stopped && currentState(this.options.peerConnection()) === 'disconnected')
              this.restartAfterFailure();
          }, wait);
        }
        return;
      case 'failed':
        this.clearDisconnectedTimer();
        this.restartAfterFailure();
        return;
      default:
        // `new`, `closed`, or no state at all (an implementation with neither property): nothing to repair.
        return;
    }
  }

  /** The app asked for a restart: the count starts over, and a `failed` call tries again. */
  restartIce(): void {
    this.restarts = 0;
    if (this.options.state() === 'failed') this.options.setState('reconnecting');
    this.options.restartIce();
  }

  /** A new peer connection (the peer's `reset`): its repairs are counted afresh. */
  renew(): void {
    this.clearDisconnectedTimer();
    this.restarts = 0;
  }

  stop(): void {
    this.stopped = true;
    this.clearDisconnectedTimer();
    this.clearConnectTimer();
  }

  private restartAfterFailure(): void {
    // Given up already: the app has said "could not connect"; only restartIce() tries again.
    if (this.options.state() === 'failed') return;
    const max = this.options.maxIceRestarts ?? DEFAULT_MAX_ICE_RESTARTS;
    if (this.restarts >= max) {
      this.options.setState('failed');
      return;
    }
    this.restarts += 1;
    this.options.setState('reconnecting');
    this.options.restartIce();
  }

  private onConnectTimeout(): void {
    this.connectTimer = null;
    if (this.stopped || this.options.state() === 'connected') return;
    this.options.setState('failed');
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private clearDisconnectedTimer(): void {
    if (this.disconnectedTimer) clearTimeout(this.disconnectedTimer);
    this.disconnectedTimer = null;
  }
}

function currentState(pc: PeerConnectionLike): string | undefined {
  return pc.connectionState ?? fromIceConnectionState(pc.iceConnectionState);
}

/** Old implementations have only iceConnectionState; map it onto connectionState's values. */
function fromIceConnectionState(state: string | undefined): string | undefined {
  if (state === 'checking') return 'connecting';
  if (state === 'completed') return 'connected';
  return state;
}
