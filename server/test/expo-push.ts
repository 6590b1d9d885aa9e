/**
 * A local stand-in for the Expo Push API (POST /--/api/v2/push/send): it takes a JSON array of
 * messages and answers `{"data": [ticket, …]}` in order, as the published contract says, and
 * answers POST /--/api/v2/push/getReceipts `{"ids":[…]}` with `{"data":{"<id>":receipt}}` for the
 * ids it gave out. Tests decide per token whether the device is gone at once (DeviceNotRegistered
 * in the ticket) or only later (in the receipt), and may make the next send requests fail with a
 * status (5xx, 429) to see the server retry.
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
  /** The id of its ticket, which its receipt is asked for by. */
  ticketId: string;
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
  /** Statuses for the next send requests, one each (e.g. [503, 503]: two failures, then normal answers). */
  failNext: number[];
  /** Tokens whose ticket is ok but whose receipt says DeviceNotRegistered (APNs or FCM refused later). */
  unregisteredLater: Set<string>;
  /** Every getReceipts request that arrived: its ids, when (ms since the epoch), its authorization. Pushes of earlier tests may have theirs arrive late: look for the ids of yours. */
  receiptRequests: Array<{ ids: string[]; at: number; authorization: string | undefined }>;
  close(): Promise<void>;
}

const SEND = '/--/api/v2/push/send';
const RECEIPTS = '/--/api/v2/push/getReceipts';

export async function startFakeExpo(): Promise<FakeExpo> {
  const fake: Omit<FakeExpo, 'url' | 'close'> = {
    delivered: [],
    attempts: [],
    unregistered: new Set(),
    failNext: [],
    unregisteredLater: new Set(),
    receiptRequests: [],
  };
  /** Receipts by ticket id, as Expo keeps them (for a day). */
  const receipts = new Map<string, object>();
  let tickets = 0;
  const server = http.createServer((request, response) => {
    let raw = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
    request.on('end', () => {
      const json = (status: number, body: unknown) =>
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (request.method !== 'POST' || (request.url !== SEND && request.url !== RECEIPTS)) {
        json(404, { errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] });
        return;
      }
      if (request.url === RECEIPTS) {
        let ids: unknown;
        try {
          ids = (JSON.parse(raw) as { ids?: unknown }).ids;
        } catch {
          ids = undefined;
        }
        // Expo refuses more than 1000 ids in one request.
        if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string') || ids.length > 1000) {
          json(400, {
            errors: [{ code: 'VALIDATION_ERROR', message: '"ids" must be an array of at most 1000 strings' }],
          });
          return;
        }
        fake.receiptRequests.push({ ids, at: Date.now(), authorization: request.headers.authorization });
        json(200, {
          data: Object.fromEntries(ids.filter((id) => receipts.has(id)).map((id) => [id, receipts.get(id)])),
        });
        return;
      }
      fake.attempts.push(Date.now());
      const failure = fake.failNext.shift();
      if (failure !== undefined) {
        response
          .writeHead(failure, { 'content-type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'INTERNAL_SERVER_ERROR', message: 'try again' }] }));
        return;
      }
      let messages: Array<Omit<ReceivedPush, 'at' | 'authorization' | 'ticketId'>>;
      try {
        messages = JSON.parse(raw);
        if (!Array.isArray(messages)) throw new Error('not an array');
      } catch {
        response
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'VALIDATION_ERROR', message: 'bad body' }] }));
        return;
      }
      const data = messages.map((message) => {
        if (fake.unregistered.has(message.to)) {
          return {
            status: 'error',
            message: `"${message.to}" is not a registered push notification recipient`,
            details: { error: 'DeviceNotRegistered' },
          };
        }
        const id = `ticket-${++tickets}`;
        fake.delivered.push({ ...message, at: Date.now(), authorization: request.headers.authorization, ticketId: id });
        receipts.set(
          id,
          fake.unregisteredLater.has(message.to)
            ? {
                status: 'error',
                message: `"${message.to}" is not a registered push notification recipient`,
                details: { error: 'DeviceNotRegistered' },
              }
            : { status: 'ok' },
        );
        return { status: 'ok', id };
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
