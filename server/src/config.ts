import path from 'node:path';
import { z } from 'zod';
import { FALLBACK_AFTER_MS, RING_TIMEOUT_MS } from '@small-talk/protocol';

/**
 * Every setting the server reads, with its default and why. Nothing else reads process.env;
 * the README's table lists the same variables.
 */
const int = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

/** `true` or `false`, spelled out: a typo must fail at start-up, not read as false. */
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true');

/** A comma-separated list (blank entries dropped), each entry matching `pattern`. */
const list = (pattern: RegExp, what: string) =>
  z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(pattern, what)));

const Settings = z.object({
  /** TCP port to listen on; a second process in the same checkout just takes another. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface to bind; '::' takes IPv6 and IPv4 alike, so phones on the LAN reach a dev machine. */
  HOST: z.string().default('::'),
  /** Where SQLite and other local state live when no external service is configured. */
  DATA_DIR: z.string().default('./data'),
  /** The app's web build, served at `/`; `npm start` builds it into apps/mobile/dist. */
  WEB_DIR: z.string().default('./apps/mobile/dist'),
  /** A postgres:// URL moves users, sessions and history to PostgreSQL; unset keeps SQLite. */
  DATABASE_URL: z.string().optional(),
  /** A redis:// URL makes this process one of many: queue, rooms and frame delivery are shared through Redis. Unset keeps them in this process. */
  REDIS_URL: z.string().optional(),
  /** Prefix of every Redis key and channel, so several deployments (or test servers) can share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('st'),
  /**
   * With REDIS_URL: `host:port` where this process takes the other processes' frames straight
   * (storage/bus/peers.ts), and where they reach it; port 0 takes a free one. The default serves
   * processes on one machine; across machines give each its private address (and open the port
   * between them only), or `0.0.0.0:<port>` to listen on every interface and be reached at this
   * machine's own address (containers). `off`: every frame goes through Redis.
   */
  PEER_ADDRESS: z
    .string()
    .regex(/^(off|(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5})$/, '`off` or host:port (an IPv6 host in brackets)')
    .refine(
      (value) => value === 'off' || Number(value.slice(value.lastIndexOf(':') + 1)) <= 65535,
      'port at most 65535',
    )
    .default('127.0.0.1:0'),
  /** pino level: trace, debug, info, warn, error, fatal, silent. */
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Extra origins (comma-separated) allowed to open /ws besides the page's own origin. */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  /** How long a room waits for a member whose socket dropped; media is peer-to-peer, so a blip must not end a call. */
  RESUME_GRACE_MS: int(5000),
  /** Frames kept for an absent member; beyond this the room ends as if the grace ran out. */
  RESUME_BUFFER_FRAMES: int(100),
  /** Interval between server pings; two unanswered pings close the socket. */
  HEARTBEAT_MS: z.coerce.number().int().positive().default(25000),
  /** Sustained frames per second per socket; bursts up to twice this. */
  WS_RATE_LIMIT: z.coerce.number().positive().default(50),
  /** A socket still being rate limited this long after its streak of drops began is closed (1008). */
  WS_FLOOD_CLOSE_MS: int(5000),
  /** Sustained bytes per second per socket (bursts up to twice this): frames are counted, and so is what they cost to parse. */
  WS_BYTES_PER_S: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  /** Guests one client address may create per minute: enough for a household, too few to mint an army (tests and benches raise it). */
  GUEST_RATE_LIMIT_PER_MIN: z.coerce.number().int().positive().default(20),
  /** Register/login attempts per client address per minute: slows password guessing. */
  AUTH_RATE_LIMIT_PER_MIN: z.coerce.number().int().positive().default(100),
  /** Sockets one client address may hold open at once. */
  MAX_SOCKETS_PER_ADDRESS: z.coerce.number().int().positive().default(500),
  /** Lifetime of a session token. */
  SESSION_TTL_DAYS: z.coerce.number().positive().default(30),
  /** How long a direct call to a friend rings before it ends as "no answer". */
  RING_TIMEOUT_MS: z.coerce.number().int().positive().default(RING_TIMEOUT_MS),
  /** Time a socket may take to drain when the process is told to stop (SIGTERM). */
  SHUTDOWN_GRACE_MS: int(10000),
  /** STUN servers (comma-separated) handed to clients by GET /api/ice; none keeps every packet on the LAN (and the tests on loopback). */
  STUN_URLS: list(/^stuns?:[^/\s]/, 'stun: or stuns: then the host, as in stun:turn.example.com:3478'),
  /** TURN servers (comma-separated), returned verbatim; about one call in five finds no direct path through NATs without one. */
  TURN_URLS: list(/^turns?:[^/\s]/, 'turn: or turns: then the host, as in turn:turn.example.com:3478?transport=udp'),
  /** The secret shared with coturn (static-auth-secret) that signs TURN credentials; never sent to clients nor logged. */
  TURN_SECRET: z
    .string()
    .min(16, 'at least 16 characters: whoever guesses it can relay through your TURN server')
    .optional(),
  /** Lifetime of TURN credentials: long enough for a call to start, short enough that a leaked one soon stops working. */
  TURN_TTL_S: z.coerce.number().int().positive().default(3600),
  /** `relay` makes clients use TURN only, hiding users' addresses from each other (needs TURN_URLS). */
  ICE_TRANSPORT_POLICY: z.enum(['all', 'relay']).default('all'),
  /** ICE policy of rooms made by matching strangers: `relay` keeps their IP addresses from each other (takes effect only with TURN). */
  STRANGER_ICE_POLICY: z.enum(['all', 'relay']).default('relay'),
  /** ICE policy of direct calls between friends: they chose each other, so a direct path is allowed. */
  FRIEND_ICE_POLICY: z.enum(['all', 'relay']).default('all'),
  /** In production, starting without TURN (strangers would see each other's addresses) needs this to say the operator accepts it. */
  ALLOW_DIRECT_STRANGER_CALLS: bool(false),
  /** `production` refuses unsafe set-ups instead of warning about them. */
  NODE_ENV: z.string().default('development'),
  /** The address users reach the service at (https://chat.example.com): links in mail, and an https URL makes the cookie Secure. Default http://localhost:PORT. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Forces the Secure `__Host-` session cookie when PUBLIC_URL is not https (a TLS proxy you trust is in front). */
  COOKIE_SECURE: bool(false),
  /** Proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For/-Proto are believed; none: the TCP peer is the client. */
  TRUST_PROXY: list(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'an IP address or CIDR, as in 10.0.0.0/8 or 127.0.0.1'),
  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  /** When set, /metrics is served only on this port (keep it off the public proxy), not on PORT. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Display names nobody may take because they impersonate the service (compared with case and look-alike folding). */
  RESERVED_NAMES: z
    .string()
    .default('Small Talk,admin,moderator,support')
    .transform((s) =>
      s
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  /** Two users whose room just ended are not matched with each other again for this long (seconds): the next match is someone new, whoever ended it. 0 turns it off. */
  REMATCH_COOLDOWN_S: z.coerce.number().int().min(0).default(300),
  /** Nobody younger may meet strangers: 18 keeps the app out of the stores' and regulators' rules for minors; 13 is the lowest any of them allows. */
  MIN_AGE: z.coerce.number().int().min(13).max(99).default(18),
  /** The community rules every user accepts (Markdown, `version:` in its front matter); operators edit it and raise the version. */
  RULES_FILE: z.string().default('./server/rules.md'),
  /** A report must be about a connection that started at most this many days ago: long enough to think it over, short enough that history is fresh. */
  REPORT_WINDOW_DAYS: z.coerce.number().int().positive().default(30),
  /** Reports one user may file in 24 hours: a person reports a few; more is an attempt to flood moderators or to suspend people. */
  REPORTS_PER_DAY: z.coerce.number().int().positive().default(20),
  /** Distinct reporters whose open reports suspend a user at once, pending review (see docs/safety.md for why 3). */
  AUTO_SUSPEND_REPORTERS: z.coerce.number().int().min(2).default(3),
  /** The hours within which those reports must fall. */
  AUTO_SUSPEND_WINDOW_H: z.coerce.number().int().positive().default(24),
  /** Evidence images are deleted this many days after their report is decided: long enough for an appeal, no longer than needed. */
  EVIDENCE_RETENTION_DAYS: z.coerce.number().positive().default(90),
  /** How often each process asks whether the evidence sweep is due (one process of the cluster then sweeps): an hour keeps deletion within an hour of its day. */
  EVIDENCE_SWEEP_CHECK_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(60 * 60 * 1000),
  /** The operator's contact address, shown in the app (GET /api/rules `contactEmail`); stores and regulators expect one. */
  CONTACT_EMAIL: z.string().trim().pipe(z.email()).optional(),
  /** Mail goes out over this SMTP server (smtp://user:pass@host:587, smtps://…:465). Unset: each mail is written to DATA_DIR/mail/ as an .eml file instead, and its path logged. */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  /** The sender of every mail: an address the SMTP server may send as. */
  MAIL_FROM: z.string().trim().min(3).default('Small Talk <no-reply@localhost>'),
  /** Guests and members who have not verified their e-mail may not meet anyone (join, call, friend requests): what app stores expect of a stranger-chat app. */
  REQUIRE_VERIFIED_EMAIL: bool(false),
  /** How long a user who joined with `anyone` waits before its search widens to every category. */
  FALLBACK_AFTER_MS: int(FALLBACK_AFTER_MS),
  /** Send push notifications for friends' calls and requests to devices with no live socket. Off by default: `npm start` calls nobody. */
  PUSH_ENABLED: bool(false),
  /** The Expo Push API's send endpoint (phones' pushes go through Expo to APNs and FCM); receipts are fetched beside it, at …/getReceipts. */
  EXPO_PUSH_URL: z
    .url({ protocol: /^https?$/ })
    .regex(/\/send$/, 'the send endpoint: a URL ending in /send')
    .default('https://exp.host/--/api/v2/push/send'),
  /** Sent as `Authorization: Bearer …` when the Expo project requires access tokens for push. */
  EXPO_ACCESS_TOKEN: z.string().trim().min(1).optional(),
  /** How long after sending the Expo push receipts are fetched (Expo's guide: about 15 minutes, once APNs and FCM have answered); tokens they report `DeviceNotRegistered` are deleted. */
  PUSH_RECEIPT_DELAY_MS: int(15 * 60 * 1000),
  /** Web push (the installed web app): the VAPID key pair (`npx web-push generate-vapid-keys`) and a contact (mailto: or https: URL). Without keys, web tokens are skipped. */
  VAPID_PUBLIC_KEY: z.string().trim().min(1).optional(),
  VAPID_PRIVATE_KEY: z.string().trim().min(1).optional(),
  VAPID_SUBJECT: z
    .string()
    .trim()
    .regex(/^(mailto:|https:)/, 'a mailto: or https: URL')
    .optional(),
});

/** Settings that only make sense together; refused at start-up rather than failing every call. */
const ConfigSchema = Settings.superRefine((config, ctx) => {
  // Browsers reject a TURN server without credentials when the call starts, and a secret with no server is a typo.
  if (config.TURN_URLS.length > 0 && config.TURN_SECRET === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['TURN_SECRET'],
      message: 'required with TURN_URLS (the static-auth-secret of your coturn)',
    });
  }
  if (config.TURN_URLS.length === 0 && config.TURN_SECRET !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['TURN_URLS'], message: 'required with TURN_SECRET' });
  }
  // Relay-only without a relay: no call could ever connect.
  if (config.ICE_TRANSPORT_POLICY === 'relay' && config.TURN_URLS.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['ICE_TRANSPORT_POLICY'], message: 'relay needs TURN_URLS' });
  }
  // Half a VAPID key pair signs nothing: both keys and the subject come together.
  const vapid = [config.VAPID_PUBLIC_KEY, config.VAPID_PRIVATE_KEY, config.VAPID_SUBJECT].filter(
    (v) => v !== undefined,
  ).length;
  if (vapid > 0 && vapid < 3) {
    ctx.addIssue({
      code: 'custom',
      path: ['VAPID_PUBLIC_KEY'],
      message: 'VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT go together',
    });
  }
  if (config.FRIEND_ICE_POLICY === 'relay' && config.TURN_URLS.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['FRIEND_ICE_POLICY'], message: 'relay needs TURN_URLS' });
  }
  // Strangers who see each other's IP addresses can be located and flooded: a production
  // deployment must either relay their calls through TURN or say that it accepts the risk.
  if (config.NODE_ENV === 'production' && config.TURN_URLS.length === 0 && !config.ALLOW_DIRECT_STRANGER_CALLS) {
    ctx.addIssue({
      code: 'custom',
      path: ['TURN_URLS'],
      message:
        "production without TURN would show strangers each other's IP addresses: set TURN_URLS and TURN_SECRET, or ALLOW_DIRECT_STRANGER_CALLS=true to accept that",
    });
  }
});

export type Config = z.infer<typeof ConfigSchema> & {
  /** DATA_DIR, WEB_DIR and RULES_FILE resolved against the working directory (the checkout, for npm start). */
  dataDir: string;
  webDir: string;
  rulesFile: string;
  /**
   * The ICE policy rooms between strangers get: STRANGER_ICE_POLICY when TURN is configured,
   * else `all` (no relay to use); `relay` whenever ICE_TRANSPORT_POLICY asks for relay everywhere.
   */
  strangerIcePolicy: 'all' | 'relay';
  /** The ICE policy of friends' direct calls: FRIEND_ICE_POLICY, or `relay` when ICE_TRANSPORT_POLICY asks for it everywhere. */
  friendIcePolicy: 'all' | 'relay';
  /** The session cookie is `__Host-st_session; Secure` (PUBLIC_URL is https, or COOKIE_SECURE). */
  secureCookie: boolean;
  /** PUBLIC_URL without a trailing slash, or http://localhost:PORT: the start of every link in mail. */
  publicUrl: string;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`PORT=` in a shell or compose file) means unset: z.coerce.number('') is 0.
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = ConfigSchema.safeParse(set);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const config = parsed.data;
  return {
    ...config,
    dataDir: path.resolve(config.DATA_DIR),
    webDir: path.resolve(config.WEB_DIR),
    rulesFile: path.resolve(config.RULES_FILE),
    // An operator who set ICE_TRANSPORT_POLICY=relay asked for relay on every call, friends' too.
    strangerIcePolicy:
      config.ICE_TRANSPORT_POLICY === 'relay'
        ? 'relay'
        : config.TURN_URLS.length > 0
          ? config.STRANGER_ICE_POLICY
          : 'all',
    friendIcePolicy: config.ICE_TRANSPORT_POLICY === 'relay' ? 'relay' : config.FRIEND_ICE_POLICY,
    secureCookie: config.COOKIE_SECURE || config.PUBLIC_URL?.startsWith('https:') === true,
    publicUrl: (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, ''),
  };
}
