import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every variable with its default, as the issue and the README state them. */
const DEFAULTS = {
  PORT: 3000,
  HOST: '::',
  DATA_DIR: './data',
  WEB_DIR: './apps/mobile/dist',
  REDIS_PREFIX: 'st',
  PEER_ADDRESS: '127.0.0.1:0',
  LOG_LEVEL: 'info',
  ALLOWED_ORIGINS: [],
  RESUME_GRACE_MS: 5000,
  RING_TIMEOUT_MS: 30000,
  RESUME_BUFFER_FRAMES: 100,
  HEARTBEAT_MS: 25000,
  WS_RATE_LIMIT: 50,
  WS_FLOOD_CLOSE_MS: 5000,
  WS_BYTES_PER_S: 262144,
  GUEST_RATE_LIMIT_PER_MIN: 20,
  AUTH_RATE_LIMIT_PER_MIN: 100,
  MAX_SOCKETS_PER_ADDRESS: 500,
  SESSION_TTL_DAYS: 30,
  SHUTDOWN_GRACE_MS: 10000,
  STUN_URLS: [],
  TURN_URLS: [],
  TURN_TTL_S: 3600,
  ICE_TRANSPORT_POLICY: 'all',
  STRANGER_ICE_POLICY: 'relay',
  FRIEND_ICE_POLICY: 'all',
  ALLOW_DIRECT_STRANGER_CALLS: false,
  NODE_ENV: 'development',
  COOKIE_SECURE: false,
  TRUST_PROXY: [],
  RESERVED_NAMES: ['Small Talk', 'admin', 'moderator', 'support'],
  REMATCH_COOLDOWN_S: 300,
  MIN_AGE: 18,
  RULES_FILE: './server/rules.md',
  REPORT_WINDOW_DAYS: 30,
  REPORTS_PER_DAY: 20,
  AUTO_SUSPEND_REPORTERS: 3,
  AUTO_SUSPEND_WINDOW_H: 24,
  EVIDENCE_RETENTION_DAYS: 90,
  EVIDENCE_SWEEP_CHECK_MS: 3600000,
  MAIL_FROM: 'Small Talk <no-reply@localhost>',
  REQUIRE_VERIFIED_EMAIL: false,
  FALLBACK_AFTER_MS: 10000,
  PUSH_ENABLED: false,
  EXPO_PUSH_URL: 'https://exp.host/--/api/v2/push/send',
  PUSH_RECEIPT_DELAY_MS: 900000,
};
const OPTIONAL = [
  'DATABASE_URL',
  'REDIS_URL',
  'TURN_SECRET',
  'PUBLIC_URL',
  'METRICS_TOKEN',
  'METRICS_PORT',
  'CONTACT_EMAIL',
  'SMTP_URL',
  'EXPO_ACCESS_TOKEN',
  'VAPID_PUBLIC_KEY',
  'VAPID_PRIVATE_KEY',
  'VAPID_SUBJECT',
];
/** A TURN server and its secret: they only go together. */
const TURN = { TURN_URLS: 'turn:turn.example:3478', TURN_SECRET: 'a-secret-of-sixteen-or-more' };

function rejects(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (error: Error) => {
      assert.match(error.message, /^invalid configuration: /);
      assert.ok(error.message.includes(variable), `the message names ${variable}: ${error.message}`);
      return true;
    },
    `${JSON.stringify(env)} was accepted`,
  );
}

describe('loadConfig', () => {
  test('with nothing set, every default applies', () => {
    const config = loadConfig({});
    const {
      dataDir,
      webDir,
      rulesFile,
      DATABASE_URL,
      REDIS_URL,
      TURN_SECRET,
      PUBLIC_URL,
      METRICS_TOKEN,
      METRICS_PORT,
      strangerIcePolicy,
      friendIcePolicy,
      secureCookie,
      publicUrl,
      ...rest
    } = config;
    assert.equal(publicUrl, 'http://localhost:3000', 'links in mail point at this machine by default');
    assert.equal(friendIcePolicy, 'all', 'friends may connect directly');
    assert.equal(webDir, path.resolve('./apps/mobile/dist'));
    assert.equal(rulesFile, path.resolve('./server/rules.md'));
    assert.equal(strangerIcePolicy, 'all', 'no TURN: strangers cannot be relayed');
    assert.equal(secureCookie, false, 'plain http on a developer machine');
    assert.deepEqual([PUBLIC_URL, METRICS_TOKEN, METRICS_PORT], [undefined, undefined, undefined]);
    assert.deepEqual(rest, DEFAULTS);
    assert.equal(DATABASE_URL, undefined, 'no DATABASE_URL: SQLite');
    assert.equal(REDIS_URL, undefined, 'no REDIS_URL: one process, state in memory');
    assert.equal(TURN_SECRET, undefined, 'no TURN server');
    assert.equal(dataDir, path.resolve('./data'), 'DATA_DIR resolves against the working directory');
  });

  test('the defaults the issues fix: port 3000, ./data, 20 guests a minute, 500 sockets, 5 s grace, 50 frames/s, 256 KiB/s', () => {
    const config = loadConfig({});
    assert.equal(config.PORT, 3000);
    assert.equal(config.DATA_DIR, './data');
    assert.equal(config.GUEST_RATE_LIMIT_PER_MIN, 20);
    assert.equal(config.WS_BYTES_PER_S, 256 * 1024);
    assert.equal(config.MAX_SOCKETS_PER_ADDRESS, 500);
    assert.equal(config.RESUME_GRACE_MS, 5000);
    assert.equal(config.HEARTBEAT_MS, 25000);
    assert.equal(config.WS_RATE_LIMIT, 50);
  });

  test('every variable can be overridden, numbers parsed from their strings', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATA_DIR: '/var/lib/smalltalk',
      WEB_DIR: '/srv/smalltalk/web',
      DATABASE_URL: 'postgres://db.example/smalltalk',
      REDIS_URL: 'redis://cache.example:6379',
      REDIS_PREFIX: 'smalltalk-eu',
      PEER_ADDRESS: '[fd00::5]:7000',
      LOG_LEVEL: 'silent',
      ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443,,',
      RESUME_GRACE_MS: '0',
      RING_TIMEOUT_MS: '12000',
      RESUME_BUFFER_FRAMES: '7',
      HEARTBEAT_MS: '1000',
      WS_RATE_LIMIT: '2.5',
      WS_FLOOD_CLOSE_MS: '100',
      GUEST_RATE_LIMIT_PER_MIN: '3',
      AUTH_RATE_LIMIT_PER_MIN: '4',
      MAX_SOCKETS_PER_ADDRESS: '5',
      SESSION_TTL_DAYS: '0.5',
      SHUTDOWN_GRACE_MS: '0',
      STUN_URLS: 'stun:stun.example:3478, stuns:stun.example:5349,',
      TURN_URLS:
        'turn:turn.example:3478?transport=udp,turn:turn.example:3478?transport=tcp,turns:turn.example:443?transport=tcp',
      TURN_SECRET: 'correct-horse-battery-staple',
      TURN_TTL_S: '600',
      ICE_TRANSPORT_POLICY: 'relay',
      WS_BYTES_PER_S: '1000',
      STRANGER_ICE_POLICY: 'relay',
      FRIEND_ICE_POLICY: 'relay',
      ALLOW_DIRECT_STRANGER_CALLS: 'true',
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://chat.example',
      COOKIE_SECURE: 'false',
      TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1',
      METRICS_TOKEN: 'a-metrics-token-of-32-characters',
      METRICS_PORT: '9100',
      RESERVED_NAMES: 'Small Talk, Staff,',
      REMATCH_COOLDOWN_S: '0',
      MIN_AGE: '16',
      RULES_FILE: '/etc/smalltalk/rules.md',
      REPORT_WINDOW_DAYS: '7',
      REPORTS_PER_DAY: '5',
      AUTO_SUSPEND_REPORTERS: '4',
      AUTO_SUSPEND_WINDOW_H: '48',
      EVIDENCE_RETENTION_DAYS: '0.5',
      EVIDENCE_SWEEP_CHECK_MS: '60000',
      CONTACT_EMAIL: ' safety@chat.example ',
      SMTP_URL: 'smtps://mailer:secret@smtp.example:465',
      MAIL_FROM: 'Small Talk <hello@chat.example>',
      REQUIRE_VERIFIED_EMAIL: 'true',
      FALLBACK_AFTER_MS: '2500',
      PUSH_ENABLED: 'true',
      EXPO_PUSH_URL: 'https://push.chat.example/send',
      EXPO_ACCESS_TOKEN: 'expo-access-token',
      PUSH_RECEIPT_DELAY_MS: '60000',
      VAPID_PUBLIC_KEY: 'BPublicKey',
      VAPID_PRIVATE_KEY: 'privateKey',
      VAPID_SUBJECT: 'mailto:ops@chat.example',
    });
    assert.deepEqual(config, {
      PORT: 8080,
      HOST: '127.0.0.1',
      DATA_DIR: '/var/lib/smalltalk',
      dataDir: '/var/lib/smalltalk',
      WEB_DIR: '/srv/smalltalk/web',
      webDir: '/srv/smalltalk/web',
      DATABASE_URL: 'postgres://db.example/smalltalk',
      REDIS_URL: 'redis://cache.example:6379',
      REDIS_PREFIX: 'smalltalk-eu',
      PEER_ADDRESS: '[fd00::5]:7000',
      LOG_LEVEL: 'silent',
      ALLOWED_ORIGINS: ['https://a.example', 'https://b.example:8443'],
      RESUME_GRACE_MS: 0,
      RING_TIMEOUT_MS: 12000,
      RESUME_BUFFER_FRAMES: 7,
      HEARTBEAT_MS: 1000,
      WS_RATE_LIMIT: 2.5,
      WS_FLOOD_CLOSE_MS: 100,
      GUEST_RATE_LIMIT_PER_MIN: 3,
      AUTH_RATE_LIMIT_PER_MIN: 4,
      MAX_SOCKETS_PER_ADDRESS: 5,
      SESSION_TTL_DAYS: 0.5,
      SHUTDOWN_GRACE_MS: 0,
      STUN_URLS: ['stun:stun.example:3478', 'stuns:stun.example:5349'],
      // Verbatim, query strings included: clients get exactly what the operator wrote.
      TURN_URLS: [
        'turn:turn.example:3478?transport=udp',
        'turn:turn.example:3478?transport=tcp',
        'turns:turn.example:443?transport=tcp',
      ],
      TURN_SECRET: 'correct-horse-battery-staple',
      TURN_TTL_S: 600,
      ICE_TRANSPORT_POLICY: 'relay',
      WS_BYTES_PER_S: 1000,
      STRANGER_ICE_POLICY: 'relay',
      FRIEND_ICE_POLICY: 'relay',
      ALLOW_DIRECT_STRANGER_CALLS: true,
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://chat.example',
      COOKIE_SECURE: false,
      TRUST_PROXY: ['10.0.0.0/8', '127.0.0.1', '::1'],
      METRICS_TOKEN: 'a-metrics-token-of-32-characters',
      METRICS_PORT: 9100,
      RESERVED_NAMES: ['Small Talk', 'Staff'],
      REMATCH_COOLDOWN_S: 0,
      MIN_AGE: 16,
      RULES_FILE: '/etc/smalltalk/rules.md',
      REPORT_WINDOW_DAYS: 7,
      REPORTS_PER_DAY: 5,
      AUTO_SUSPEND_REPORTERS: 4,
      AUTO_SUSPEND_WINDOW_H: 48,
      EVIDENCE_RETENTION_DAYS: 0.5,
      EVIDENCE_SWEEP_CHECK_MS: 60000,
      CONTACT_EMAIL: 'safety@chat.example',
      SMTP_URL: 'smtps://mailer:secret@smtp.example:465',
      MAIL_FROM: 'Small Talk <hello@chat.example>',
      REQUIRE_VERIFIED_EMAIL: true,
      FALLBACK_AFTER_MS: 2500,
      PUSH_ENABLED: true,
      EXPO_PUSH_URL: 'https://push.chat.example/send',
      EXPO_ACCESS_TOKEN: 'expo-access-token',
      PUSH_RECEIPT_DELAY_MS: 60000,
      VAPID_PUBLIC_KEY: 'BPublicKey',
      VAPID_PRIVATE_KEY: 'privateKey',
      VAPID_SUBJECT: 'mailto:ops@chat.example',
      publicUrl: 'https://chat.example',
      rulesFile: '/etc/smalltalk/rules.md',
      strangerIcePolicy: 'relay',
      friendIcePolicy: 'relay',
      secureCookie: true,
    });
  });

  test('strangers are relayed only when there is a TURN server to relay them', () => {
    assert.equal(loadConfig({}).strangerIcePolicy, 'all');
    assert.equal(loadConfig(TURN).strangerIcePolicy, 'relay');
    assert.equal(loadConfig({ ...TURN, STRANGER_ICE_POLICY: 'all' }).strangerIcePolicy, 'all');
    rejects({ FRIEND_ICE_POLICY: 'relay' }, 'FRIEND_ICE_POLICY');
  });

  test("ICE_TRANSPORT_POLICY=relay relays every call, friends' included, whatever the per-room settings say", () => {
    const everywhere = loadConfig({
      ...TURN,
      ICE_TRANSPORT_POLICY: 'relay',
      STRANGER_ICE_POLICY: 'all',
      FRIEND_ICE_POLICY: 'all',
    });
    assert.deepEqual([everywhere.strangerIcePolicy, everywhere.friendIcePolicy], ['relay', 'relay']);
    const perRoom = loadConfig(TURN);
    assert.deepEqual([perRoom.strangerIcePolicy, perRoom.friendIcePolicy], ['relay', 'all']);
  });

  test('production without TURN refuses to start unless the operator accepts direct stranger calls', () => {
    rejects({ NODE_ENV: 'production' }, 'ALLOW_DIRECT_STRANGER_CALLS');
    assert.equal(loadConfig({ NODE_ENV: 'production', ALLOW_DIRECT_STRANGER_CALLS: 'true' }).strangerIcePolicy, 'all');
    assert.equal(loadConfig({ NODE_ENV: 'production', ...TURN }).strangerIcePolicy, 'relay');
  });

  test('the session cookie is Secure behind https: an https PUBLIC_URL or COOKIE_SECURE=true', () => {
    assert.equal(loadConfig({ PUBLIC_URL: 'http://localhost:3000' }).secureCookie, false);
    assert.equal(loadConfig({ PUBLIC_URL: 'https://chat.example' }).secureCookie, true);
    assert.equal(loadConfig({ COOKIE_SECURE: 'true' }).secureCookie, true);
  });

  test('a relative DATA_DIR resolves against the working directory', () => {
    assert.equal(loadConfig({ DATA_DIR: 'tmp/state' }).dataDir, path.resolve('tmp/state'));
  });

  test('variables it does not know are ignored', () => {
    assert.equal(loadConfig({ PATH: '/usr/bin', SOMETHING_ELSE: 'x' }).PORT, 3000);
  });

  test('reads process.env when given nothing', () => {
    const saved = process.env.PORT;
    process.env.PORT = '4321';
    try {
      assert.equal(loadConfig().PORT, 4321);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  test('invalid values are rejected with a message naming the variable', () => {
    const invalid: Array<[string, string]> = [
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['PORT', '-1'],
      ['PORT', '80.5'],
      ['LOG_LEVEL', 'loud'],
      ['REDIS_PREFIX', 'has space'],
      ['PEER_ADDRESS', '10.0.0.5'],
      ['PEER_ADDRESS', '10.0.0.5:70000'],
      ['PEER_ADDRESS', 'on'],
      ['RESUME_GRACE_MS', '-5'],
      ['RESUME_GRACE_MS', 'soon'],
      ['RING_TIMEOUT_MS', '0'],
      ['RESUME_BUFFER_FRAMES', '1.5'],
      ['HEARTBEAT_MS', '0'],
      ['WS_RATE_LIMIT', '0'],
      ['WS_RATE_LIMIT', 'fast'],
      ['WS_FLOOD_CLOSE_MS', '-1'],
      ['GUEST_RATE_LIMIT_PER_MIN', '0'],
      ['GUEST_RATE_LIMIT_PER_MIN', 'lots'],
      ['AUTH_RATE_LIMIT_PER_MIN', '-3'],
      ['MAX_SOCKETS_PER_ADDRESS', '0'],
      ['MAX_SOCKETS_PER_ADDRESS', '2.5'],
      ['SESSION_TTL_DAYS', '0'],
      ['SHUTDOWN_GRACE_MS', 'never'],
      ['STUN_URLS', 'stun.example:3478'],
      ['STUN_URLS', 'turn:turn.example'],
      ['TURN_TTL_S', '0'],
      ['TURN_TTL_S', '1.5'],
      ['ICE_TRANSPORT_POLICY', 'none'],
      ['STRANGER_ICE_POLICY', 'never'],
      ['WS_BYTES_PER_S', '0'],
      ['ALLOW_DIRECT_STRANGER_CALLS', 'yes'],
      ['COOKIE_SECURE', '1'],
      ['PUBLIC_URL', 'chat.example'],
      ['PUBLIC_URL', 'ftp://chat.example'],
      ['TRUST_PROXY', 'proxy.example'],
      ['METRICS_TOKEN', 'short'],
      ['METRICS_PORT', '0'],
      ['REMATCH_COOLDOWN_S', '-1'],
      ['REMATCH_COOLDOWN_S', '1.5'],
      ['MIN_AGE', '12'],
      ['MIN_AGE', '100'],
      ['MIN_AGE', '18.5'],
      ['REPORT_WINDOW_DAYS', '0'],
      ['REPORTS_PER_DAY', '0'],
      ['AUTO_SUSPEND_REPORTERS', '1'],
      ['AUTO_SUSPEND_WINDOW_H', '0'],
      ['CONTACT_EMAIL', 'not an address'],
      ['SMTP_URL', 'smtp.example:587'],
      ['SMTP_URL', 'https://smtp.example'],
      ['REQUIRE_VERIFIED_EMAIL', 'yes'],
      ['FALLBACK_AFTER_MS', '-1'],
      ['FALLBACK_AFTER_MS', 'soon'],
    ];
    for (const [variable, value] of invalid) rejects({ [variable]: value }, variable);
    rejects({ ...TURN, TURN_URLS: 'turn://turn.example:3478' }, 'TURN_URLS');
    rejects({ ...TURN, TURN_URLS: 'stun:turn.example:3478' }, 'TURN_URLS');
    rejects({ ...TURN, TURN_SECRET: 'short' }, 'TURN_SECRET');
  });

  test('TURN settings that cannot work are refused at start-up, without echoing the secret', () => {
    rejects({ TURN_URLS: TURN.TURN_URLS }, 'TURN_SECRET');
    rejects({ TURN_SECRET: TURN.TURN_SECRET }, 'TURN_URLS');
    rejects({ ICE_TRANSPORT_POLICY: 'relay' }, 'ICE_TRANSPORT_POLICY');
    rejects({ ICE_TRANSPORT_POLICY: 'relay', STUN_URLS: 'stun:stun.example' }, 'ICE_TRANSPORT_POLICY');
    assert.throws(
      () => loadConfig({ ...TURN, TURN_SECRET: 'hunter2' }),
      (error: Error) => /TURN_SECRET/.test(error.message) && !error.message.includes('hunter2'),
    );
    assert.equal(loadConfig({ ...TURN, ICE_TRANSPORT_POLICY: 'relay' }).ICE_TRANSPORT_POLICY, 'relay');
  });

  test('an empty variable (PORT= in a shell or compose file) means unset or is rejected, never 0', () => {
    // z.coerce.number('') is 0: an empty PORT would listen on a random port and an empty
    // RESUME_GRACE_MS would end every call on the first network blip.
    for (const variable of [
      'PORT',
      'RESUME_GRACE_MS',
      'RESUME_BUFFER_FRAMES',
      'WS_FLOOD_CLOSE_MS',
      'SHUTDOWN_GRACE_MS',
    ]) {
      for (const empty of ['', ' ']) {
        let value: unknown;
        try {
          value = (loadConfig({ [variable]: empty }) as unknown as Record<string, unknown>)[variable];
        } catch (error) {
          assert.match((error as Error).message, new RegExp(variable));
          continue;
        }
        assert.equal(
          value,
          DEFAULTS[variable as keyof typeof DEFAULTS],
          `${variable}=${JSON.stringify(empty)} became ${String(value)}`,
        );
      }
    }
  });

  test('every problem is reported at once', () => {
    assert.throws(
      () => loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' }),
      (error: Error) => error.message.includes('PORT') && error.message.includes('LOG_LEVEL'),
    );
  });

  test('push: half a VAPID key pair, a subject that is no contact, an EXPO_PUSH_URL that is no send endpoint or a negative receipt delay is refused', () => {
    rejects({ VAPID_PUBLIC_KEY: 'BPublicKey' }, 'VAPID_PUBLIC_KEY');
    rejects({ VAPID_PUBLIC_KEY: 'BPublicKey', VAPID_PRIVATE_KEY: 'privateKey' }, 'VAPID_PUBLIC_KEY');
    rejects(
      { VAPID_PUBLIC_KEY: 'BPublicKey', VAPID_PRIVATE_KEY: 'privateKey', VAPID_SUBJECT: 'ops@chat.example' },
      'VAPID_SUBJECT',
    );
    rejects({ EXPO_PUSH_URL: 'exp.host/send' }, 'EXPO_PUSH_URL');
    // Receipts are fetched from the send endpoint's sibling, …/getReceipts.
    rejects({ EXPO_PUSH_URL: 'https://push.chat.example/push' }, 'EXPO_PUSH_URL');
    rejects({ PUSH_RECEIPT_DELAY_MS: '-1' }, 'PUSH_RECEIPT_DELAY_MS');
    rejects({ PUSH_ENABLED: 'maybe' }, 'PUSH_ENABLED');
  });
});

describe('one config module, one table', () => {
  test('nothing in server/src but config.ts reads process.env', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/\.ts$/.test(entry.name) && !file.endsWith(path.join('src', 'config.ts'))) {
          if (/process\.env\b/.test(fs.readFileSync(file, 'utf8'))) offenders.push(path.relative(root, file));
        }
      }
    };
    walk(path.join(root, 'server/src'));
    assert.deepEqual(offenders, []);
  });

  test("the README's table lists exactly the config's variables, with the same defaults", () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const rows = new Map<string, string>();
    for (const match of readme.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*([^|]*?)\s*\|/gm))
      rows.set(match[1]!, match[2]!);
    const everything = {
      DATABASE_URL: 'postgres://x',
      REDIS_URL: 'redis://x',
      PUBLIC_URL: 'https://x.example',
      METRICS_TOKEN: 'sixteen-characters-or-more',
      METRICS_PORT: '9100',
      CONTACT_EMAIL: 'safety@x.example',
      SMTP_URL: 'smtp://x.example:587',
      EXPO_ACCESS_TOKEN: 'x',
      VAPID_PUBLIC_KEY: 'x',
      VAPID_PRIVATE_KEY: 'x',
      VAPID_SUBJECT: 'mailto:x@x.example',
      ...TURN,
    };
    // The settings are the upper-case keys; the lower-case ones are derived from them.
    const variables = Object.keys(loadConfig(everything)).filter((key) => /^[A-Z]/.test(key));
    assert.deepEqual([...rows.keys()].sort(), [...variables].sort(), 'README variables = config variables');

    const config = loadConfig({});
    for (const variable of variables) {
      const documented = rows.get(variable)!;
      const value = (config as unknown as Record<string, unknown>)[variable];
      if (OPTIONAL.includes(variable)) {
        assert.match(documented, /unset|none|—|-/i, `${variable} has no default`);
      } else if (Array.isArray(value) && value.length === 0) {
        assert.match(documented, /empty|none|unset|—/i, `${variable} defaults to nothing`);
      } else {
        assert.equal(documented.replace(/`/g, ''), String(value), `${variable}'s default in the README`);
      }
    }
  });
});
