/**
 * A browser's push service, stood in for on loopback: an HTTPS receiver (a self-signed
 * certificate, which the server process is told to trust with NODE_EXTRA_CA_CERTS) and the
 * browser's side of a subscription (a real P-256 key pair and auth secret), so the test can
 * decrypt what the server sent (RFC 8291, aes128gcm) and read it as the service worker would.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface ReceivedWebPush {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface PushReceiver {
  /** https://127.0.0.1:<port> */
  url: string;
  /** The receiver's certificate (PEM): for NODE_EXTRA_CA_CERTS. */
  certFile: string;
  received: ReceivedWebPush[];
  close(): Promise<void>;
}

export async function startPushReceiver(): Promise<PushReceiver> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-webpush-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  // An IP address is checked against the subjectAltName, never the CN.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  const received: ReceivedWebPush[] = [];
  const server = https.createServer(
    { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
        // 201 Created: what FCM, Mozilla's and Apple's push services answer for an accepted message.
        response.writeHead(201).end();
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    certFile,
    received,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The browser's half of a subscription: what PushManager.subscribe would make. */
export interface BrowserSubscription {
  endpoint: string;
  /** base64url, as PushSubscription.toJSON() gives them. */
  keys: { p256dh: string; auth: string };
  /** The plaintext of a message the server encrypted for this subscription. */
  decrypt(body: Buffer): string;
}

export function browserSubscription(endpoint: string): BrowserSubscription {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = crypto.randomBytes(16);
  const publicKey = ecdh.getPublicKey();
  return {
    endpoint,
    keys: { p256dh: publicKey.toString('base64url'), auth: auth.toString('base64url') },
    decrypt: (body) => decryptAes128gcm(body, ecdh, publicKey, auth),
  };
}

const hmac = (key: Buffer, ...data: Buffer[]) => crypto.createHmac('sha256', key).update(Buffer.concat(data)).digest();

/**
 * RFC 8188's aes128gcm with RFC 8291's keys: a header (salt, record size, the sender's public
 * key), then one record, AES-128-GCM with its 16-byte tag last, padded after a 0x02 delimiter.
 */
function decryptAes128gcm(body: Buffer, ecdh: crypto.ECDH, publicKey: Buffer, auth: Buffer): string {
  const salt = body.subarray(0, 16);
  const idLength = body.readUInt8(20);
  const senderKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  const shared = ecdh.computeSecret(senderKey);
  const prkKey = hmac(auth, shared);
  const ikm = hmac(prkKey, Buffer.from('WebPush: info\0'), publicKey, senderKey, Buffer.from([1]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0'), Buffer.from([1])).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0'), Buffer.from([1])).subarray(0, 12);
  const decipher = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  const end = padded.lastIndexOf(2);
  if (end < 0 || padded.subarray(end + 1).some((byte) => byte !== 0)) throw new Error('no last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}

/**
 * For the page, before the app loads: a PushManager that hands out `subscription` (headless
 * Chromium has no push service to subscribe with), and every message the service worker posts
 * to the page kept in `window.swMessages`. Runs in the page: no closures.
 */
export function fakePushManager(subscription: { endpoint: string; keys: { p256dh: string; auth: string } }): void {
  type Sub = {
    endpoint: string;
    expirationTime: null;
    options: { userVisibleOnly: boolean; applicationServerKey: ArrayBuffer | null };
    toJSON(): object;
    getKey(name: string): ArrayBuffer | null;
    unsubscribe(): Promise<boolean>;
  };
  const page = globalThis as unknown as {
    swMessages: unknown[];
    subscribeCalls: number;
    PushManager: { prototype: Record<string, unknown> };
    navigator: {
      serviceWorker?: { addEventListener(type: string, listener: (event: { data: unknown }) => void): void };
    };
  };
  let current: Sub | null = null;
  page.subscribeCalls = 0;
  page.PushManager.prototype.getSubscription = async () => current;
  page.PushManager.prototype.subscribe = async (options: {
    userVisibleOnly: boolean;
    applicationServerKey: ArrayBuffer | Uint8Array;
  }) => {
    page.subscribeCalls++;
    const key =
      options.applicationServerKey instanceof Uint8Array
        ? options.applicationServerKey.slice().buffer
        : options.applicationServerKey;
    const sub: Sub = {
      endpoint: subscription.endpoint,
      expirationTime: null,
      options: { userVisibleOnly: options.userVisibleOnly, applicationServerKey: key },
      toJSON: () => ({ endpoint: subscription.endpoint, expirationTime: null, keys: subscription.keys }),
      getKey: () => null,
      unsubscribe: async () => {
        current = null;
        return true;
      },
    };
    current = sub;
    return sub;
  };
  page.swMessages = [];
  page.navigator.serviceWorker?.addEventListener('message', (event) => page.swMessages.push(event.data));
}
