import { randomUUID, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from 'pino';

/**
 * Direct links between the processes of a cluster, for the one thing that is sent per frame: the
 * batches of frames for another process's sockets (redis.ts, "Batches"). Through Redis a frame
 * that crosses processes costs the sender's client, Redis and the receiver's parser; on a link
 * it is one socket write and one read. Everything else (scripts, hand-offs, invalidations) stays
 * on Redis, and a process with no link to another sends it frames through Redis, as before.
 *
 * A link is one TCP connection from the sending process to the receiving one, opened the first
 * time the sender has frames for it. The receiver listens where it said in Redis (the lease's
 * `peers` hash). The first line the sender writes is the handshake: the cluster's secret (kept
 * in Redis: whoever can read it is inside the cluster already), both processes' ids and the
 * link's id. The receiver answers `ok`, and only then does the sender use the link. A wrong
 * secret, or a receiver that is not the process named (an address reused, a process on another
 * host reached at 127.0.0.1), closes the link, and frames go through Redis. Then each message is
 * its length in characters, a newline, and the message exactly as on the Redis channel (`s` or
 * `b`).
 *
 * Switching. A sender's frames to one process go through Redis until its link is up, then on the
 * link. Frames from one sender to one receiver must pass in the order sent (a room's `matched`
 * passes at once, and a frame of the old room that came after it would be dropped: order.ts), so
 * when the link is up the sender publishes a marker on the receiver's Redis channel, after every
 * frame it sent there, and the receiver holds what comes on the link until the marker has come.
 * A link that breaks while both live (the receiver leaving: it says `bye` and reads until the
 * sender's end) sends its later frames through Redis, where each sender's numbers put them in
 * place (order.ts).
 *
 * Loss. A receiver that dies loses what was on its link, as it loses what Redis had published to
 * it: those frames were in a process that died. Nothing is acknowledged; the sender learns of the
 * death from the closed connection (and the lease), and its next frames go through Redis, whose
 * PUBLISH tells it that nobody took them (redis.ts).
 */

/** How long a new link's frames wait for the marker (a Redis round trip), before they pass anyway. */
const MARKER_TIMEOUT_MS = 2000;
/** After a link to a process failed, frames to it go through Redis this long before it is tried again. */
const RETRY_MS = 5000;
/** A link this far behind (its receiver stopped reading) is cut: what it held is lost, as in a dead process. */
const MAX_BACKLOG_CHARS = 16 * 1024 * 1024;
/** How long a leaving process reads its links after `bye`, for what its senders had already written. */
const BYE_TIMEOUT_MS = 1000;
/** Longer than any handshake or length line: a peer that sends more without a newline is not one of ours. */
const MAX_LINE = 512;

/**
 * Where the others reach a process that listens on `host`. Listening on every interface (`0.0.0.0`
 * or `::`, as in a container whose address is known only once it runs) names this machine's first
 * address that is not loopback, of the same family when there is one; none: loopback.
 */
export function reachableHost(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host;
  const external = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && !a.internal && !a.address.startsWith('fe80:'));
  const family = host === '::' ? 'IPv6' : 'IPv4';
  return (external.find((a) => a.family === family) ?? external[0])?.address ?? '127.0.0.1';
}

export interface PeerAddress {
  host: string;
  port: number;
}

export interface PeerLinksOptions {
  processId: string;
  /** Where to listen; port 0 takes any free one. */
  listen: PeerAddress;
  /** The cluster's shared secret as this process learnt it (redis.ts keeps it in Redis). */
  secret: string;
  /**
   * The secret as Redis holds it now; when Redis has none (it lost its data), `ours` is put back.
   * Asked before each link is opened and when a handshake's secret is not ours, so processes that
   * outlived a loss of Redis's data learn the secret a process started since made.
   */
  currentSecret(ours: string): Promise<string>;
  log: Logger;
  /** Where another process listens (`host:port`), or null when it has not said. */
  addressOf(processId: string): Promise<string | null>;
  /** Tells `to`, on its Redis channel after every frame sent it there, that link `linkId` now carries our frames. */
  mark(to: string, linkId: string): void;
  /** A message that came on a link: a frame (`s`) or a batch (`b`), as on the Redis channel. */
  receive(message: string): void;
}

/** A link this process sends on, or its attempt: one object from connecting to open to failed. */
interface Outgoing {
  state: 'connecting' | 'open' | 'failed';
  socket?: net.Socket;
  /** Where it was tried, from Redis (for the warning when it fails). */
  address?: string;
  /** When failed: frames go through Redis until then. */
  retryAt: number;
}

interface Incoming {
  socket: net.Socket;
  linkId: string;
  /** Messages held until the marker comes; null once it came. */
  held: string[] | null;
  timer?: NodeJS.Timeout;
}

export class PeerLinks {
  private server: net.Server | undefined;
  /** Links this process sends on, by receiving process. */
  private readonly outgoing = new Map<string, Outgoing>();
  /** Links this process reads, by link id. */
  private readonly incoming = new Map<string, Incoming>();
  /** Processes this one could not link to, told once each (see connect). */
  private readonly unreachable = new Set<string>();
  private secret: Buffer;
  private closing = false;

  constructor(private readonly options: PeerLinksOptions) {
    this.secret = Buffer.from(options.secret);
  }

  /** Starts listening; returns where the other processes reach this one (`host:port`). */
  async listen(): Promise<string> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.options.log.warn({ err: error }, 'peer link listener failed'));
    const { port } = server.address() as net.AddressInfo;
    const host = reachableHost(this.options.listen.host);
    return `${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /**
   * Sends `message` to process `to` on its link: true when it went. False when there is no link
   * (yet): the caller sends it through Redis, and the link is being opened for the next ones.
   */
  send(to: string, message: string): boolean {
    const link = this.outgoing.get(to);
    if (link?.state === 'open' && link.socket) {
      if (link.socket.writableLength > MAX_BACKLOG_CHARS) {
        this.options.log.warn({ processId: to }, 'peer link cut: the other process stopped reading');
        // Failed now, not when the socket's close comes: the rest of this turn's batches go
        // through Redis without cutting (and warning) again.
        link.state = 'failed';
        link.retryAt = Date.now() + RETRY_MS;
        link.socket.destroy();
        return false;
      }
      link.socket.write(`${message.length}\n${message}`);
      return true;
    }
    if (!link || (link.state === 'failed' && Date.now() >= link.retryAt)) this.connect(to);
    return false;
  }

  /**
   * The marker of link `linkId` came on Redis: what the link holds passes, and the rest as it
   * comes. A marker is published only once the link was admitted (after `ok`), so it finds it,
   * unless the link closed meanwhile (then what it held has passed already).
   */
  marked(linkId: string): void {
    const link = this.incoming.get(linkId);
    if (link) this.open(link);
  }

  /** Process `processId` was taken for dead: its link goes, and a later one starts afresh. */
  lost(processId: string): void {
    const link = this.outgoing.get(processId);
    this.outgoing.delete(processId);
    this.unreachable.delete(processId);
    link?.socket?.destroy();
  }

  /**
   * Stops taking links and tells every sender `bye`; waits (at most BYE_TIMEOUT_MS) until each has
   * ended its link, so that what it wrote before it read `bye` is read here, then closes ours.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.server?.close();
    const ended = [...this.incoming.values()].map(
      ({ socket }) =>
        new Promise<void>((resolve) => {
          if (socket.destroyed) return resolve();
          socket.once('close', () => resolve());
          socket.write('bye\n');
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(ended), new Promise((resolve) => (timer = setTimeout(resolve, BYE_TIMEOUT_MS)))]);
    clearTimeout(timer);
    for (const { socket, timer: held } of this.incoming.values()) {
      clearTimeout(held);
      socket.destroy();
    }
    this.incoming.clear();
    for (const link of this.outgoing.values()) link.socket?.end();
    this.outgoing.clear();
  }

  private connect(to: string): void {
    const link: Outgoing = { state: 'connecting', retryAt: 0 };
    // A process gone for good is not tried again: forget the failures that ran out long ago.
    const now = Date.now();
    for (const [id, old] of this.outgoing)
      if (old.state === 'failed' && now - old.retryAt > RETRY_MS) this.outgoing.delete(id);
    this.outgoing.set(to, link);
    /** This attempt is over (unless a newer one replaced it): Redis, until RETRY_MS from now. */
    const failed = (error?: unknown) => {
      if (this.outgoing.get(to) !== link || link.state === 'failed') return;
      // Once per process, as a warning: a cluster whose processes cannot reach each other (a
      // PEER_ADDRESS they cannot reach) works, through Redis, but should be told why it is slower.
      if (link.state === 'connecting' && link.address && !this.unreachable.has(to)) {
        this.unreachable.add(to);
        this.options.log.warn(
          { err: error, processId: to, address: link.address },
          'no peer link to this process: its frames go through Redis',
        );
      }
      link.state = 'failed';
      link.retryAt = Date.now() + RETRY_MS;
      link.socket?.destroy();
    };
    void Promise.all([this.options.addressOf(to), this.learnSecret()]).then(([address]) => {
      if (this.outgoing.get(to) !== link || this.closing) return;
      const parsed = address && /^\[?([^\]]*)\]?:(\d+)$/.exec(address);
      link.address = address ?? undefined;
      if (!parsed) return failed();
      const socket = net.connect({ host: parsed[1]!, port: Number(parsed[2]) });
      link.socket = socket;
      socket.setNoDelay(true);
      const linkId = randomUUID();
      const secret = this.secret.toString();
      socket.once('connect', () => socket.write(`${secret} ${this.options.processId} ${to} ${linkId}\n`));
      let said = '';
      socket.on('data', (chunk: Buffer) => {
        said += chunk.toString('latin1');
        for (let newline = said.indexOf('\n'); newline >= 0; newline = said.indexOf('\n')) {
          const line = said.slice(0, newline);
          said = said.slice(newline + 1);
          if (line === 'ok' && link.state === 'connecting' && this.outgoing.get(to) === link) {
            // Every frame sent `to` so far went through Redis: the marker follows them there, and
            // every frame from now on goes on the link, which the receiver reads only after it.
            this.options.mark(to, linkId);
            link.state = 'open';
          } else if (line === 'bye') {
            // The receiver is leaving: our next frames go through Redis, and it reads this link to
            // its end, so the link is ended, not destroyed.
            if (link.state !== 'failed') {
              link.state = 'failed';
              link.retryAt = Date.now() + RETRY_MS;
            }
            socket.end();
          } else return void socket.destroy();
        }
        if (said.length > MAX_LINE) socket.destroy();
      });
      socket.on('error', failed);
      socket.on('close', () => failed());
    }, failed);
  }

  private accept(socket: net.Socket): void {
    if (this.closing) return void socket.destroy();
    socket.setNoDelay(true);
    const decoder = new StringDecoder('utf8');
    let text = '';
    let link: Incoming | null = null;
    let admitting = false;
    socket.on('data', (chunk: Buffer) => {
      text += decoder.write(chunk);
      if (link) return read(link);
      const newline = text.indexOf('\n');
      // A sender writes nothing after its handshake until it has read `ok`.
      if (newline < 0 || admitting) {
        if (text.length > MAX_LINE) socket.destroy();
        return;
      }
      admitting = true;
      const handshake = text.slice(0, newline);
      text = text.slice(newline + 1);
      void this.admit(socket, handshake).then((admitted) => {
        if (!admitted) return void socket.destroy();
        link = admitted;
        read(link);
      });
    });
    /** The messages that came whole, each its length line and the message (see the header). */
    const read = (from: Incoming): void => {
      let at = 0;
      for (;;) {
        const newline = text.indexOf('\n', at);
        if (newline < 0) {
          if (text.length - at > MAX_LINE) socket.destroy();
          break;
        }
        const length = Number(text.slice(at, newline));
        if (!Number.isSafeInteger(length) || newline - at > 10) return void socket.destroy();
        const end = newline + 1 + length;
        if (end > text.length) break;
        this.take(from, text.slice(newline + 1, end));
        at = end;
      }
      if (at > 0) text = text.slice(at);
    };
    socket.on('error', (error) => this.options.log.debug({ err: error }, 'peer link failed'));
    socket.on('close', () => {
      if (!link) return;
      clearTimeout(link.timer);
      // Closed before its marker came: what it held came before its end, so it passes now.
      if (link.held) this.open(link);
      this.incoming.delete(link.linkId);
    });
  }

  /**
   * The handshake: `secret from to linkId`. Null when it is not one of ours, for us. A secret that
   * is not the one we know may be the one Redis holds now (see `currentSecret`): we ask once.
   */
  private async admit(socket: net.Socket, line: string): Promise<Incoming | null> {
    const [secret = '', from, to, linkId] = line.split(' ');
    const given = Buffer.from(secret);
    const isOurs = () => given.length === this.secret.length && timingSafeEqual(given, this.secret);
    const ours = isOurs() || ((await this.learnSecret()) && isOurs());
    if (this.closing || socket.destroyed) return null;
    if (!ours || to !== this.options.processId || !from || !linkId || this.incoming.has(linkId)) {
      this.options.log.warn(
        { remote: socket.remoteAddress, ours, forUs: to === this.options.processId },
        'peer link refused',
      );
      return null;
    }
    const link: Incoming = { socket, linkId, held: [] };
    this.incoming.set(linkId, link);
    socket.write('ok\n');
    link.timer = setTimeout(() => {
      this.options.log.warn({ processId: from }, 'peer link marker did not come; its frames pass anyway');
      this.open(link);
    }, MARKER_TIMEOUT_MS);
    link.timer.unref();
    return link;
  }

  /** Asks Redis for the cluster's secret (see `currentSecret`); true when it answered. */
  private async learnSecret(): Promise<boolean> {
    try {
      this.secret = Buffer.from(await this.options.currentSecret(this.secret.toString()));
      return true;
    } catch {
      return false; // Redis unreachable: the secret we know stays
    }
  }

  private take(link: Incoming, message: string): void {
    if (link.held) link.held.push(message);
    else this.options.receive(message);
  }

  private open(link: Incoming): void {
    clearTimeout(link.timer);
    const held = link.held;
    link.held = null;
    for (const message of held ?? []) this.options.receive(message);
  }
}
