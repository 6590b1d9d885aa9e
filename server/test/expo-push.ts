/**
 * A local stand-in for the Expo Push API (POST /--/api/v2/push/send): it takes a JSON array of
 * messages and answers `{"data": [ticket, …]}` in order, as the published contract says. Tests
 * decide per token whether the device is gone (DeviceNotRegistered) and may make the next
 * requests fail with a status (5xx, 429) to see the server retry.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPush {
  to: string;
  title: string;
  body: string;
  data: Record<string, string>;
  sound: string;
  priority: string;
  ttl: number;
  /** When it arrived (ms since the epoch). */
  at: number;
  authorization: string | undefined;
}

export interface FakeExpo {
  url: string;
  /** Every message that got an `ok` ticket, in arrival order. */
  delivered: ReceivedPush[];
  /** Every request that arrived (ms since the epoch), failed or not. */
  attempts: number[];
  /** Tokens answered with DeviceNotRegistered. */
  unregistered: Set<string>;
  /** Statuses for the next requests, one each (e.g. [503, 503]: two failures, then normal answers). */
  failNext: number[];
  close(): Promise<void>;
}

export async function startFakeExpo(): Promise<FakeExpo> {
  const fake: Omit<FakeExpo, 'url' | 'close'> = { delivered: [], attempts: [], unregistered: new Set(), failNext: [] };
  const server = http.createServer((request, response) => {
    let raw = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
    request.on('end', () => {
      fake.attempts.push(Date.now());
      const failure = fake.failNext.shift();
      if (failure !== undefined) {
        response.writeHead(failure, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'INTERNAL_SERVER_ERROR', message: 'try again' }] }));
        return;
      }
      let messages: Array<Omit<ReceivedPush, 'at' | 'authorization'>>;
      try {
        messages = JSON.parse(raw);
        if (!Array.isArray(messages)) throw new Error('not an array');
      } catch {
        response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'VALIDATION_ERROR', message: 'bad body' }] }));
        return;
      }
      const data = messages.map((message) => {
        if (fake.unregistered.has(message.to)) {
          return { status: 'error', message: `"${message.to}" is not a registered push notification recipient`, details: { error: 'DeviceNotRegistered' } };
        }
        fake.delivered.push({ ...message, at: Date.now(), authorization: request.headers.authorization });
        return { status: 'ok', id: `ticket-${fake.delivered.length}` };
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/--/api/v2/push/send`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
