import path from 'node:path';
import type { Logger } from 'pino';
import { PasswordReset } from './accounts/password-reset.js';
import { Profile } from './accounts/profile.js';
import { EmailVerification } from './accounts/verification.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { Auth } from './auth/service.js';
import { Categories } from './categories/service.js';
import type { Config } from './config.js';
import { Friendships } from './friends/friendships.js';
import { Presence } from './friends/presence.js';
import { Friends } from './friends/service.js';
import { Crashes } from './history/crashes.js';
import { History } from './history/service.js';
import { Mailer } from './mail/mailer.js';
import { Fallbacks } from './matchmaking/fallback.js';
import { Matchmaking } from './matchmaking/service.js';
import { createMetrics } from './metrics/metrics.js';
import { Appeals } from './moderation/appeals.js';
import { Cases } from './moderation/cases.js';
import { Decisions } from './moderation/decisions.js';
import { Notices } from './moderation/notices.js';
import { Roles } from './moderation/roles.js';
import { ExpoSender } from './push/expo.js';
import { Push } from './push/notifier.js';
import { PushTokens } from './push/tokens.js';
import { WebPushSender } from './push/web.js';
import { Rings } from './rings/service.js';
import { Rooms } from './rooms/service.js';
import { Blocks } from './safety/blocks.js';
import { Evidence } from './safety/evidence.js';
import { Reports } from './safety/reports.js';
import type { loadRules } from './safety/rules.js';
import { Safety } from './safety/service.js';
import { Standing } from './safety/standing.js';
import { AutoSuspension } from './safety/suspension.js';
import { Stats } from './stats/service.js';
import type { Db } from './storage/db.js';
import type { SharedState } from './storage/state/state.js';

export type Services = Awaited<ReturnType<typeof createServices>>;

/** Every service, each given the others it asks; the shared state is started once the rooms exist. */
export async function createServices(
  config: Config,
  db: Db,
  state: SharedState,
  rules: ReturnType<typeof loadRules>,
  log: Logger,
) {
  const { store, bus } = state;
  const cases = new Cases(db.kysely);
  const metrics = createMetrics(
    store,
    () => cases.backlog(),
    () => bus.framesSentAway(),
  );
  const auth = new Auth(
    db.kysely,
    config.SESSION_TTL_DAYS * 24 * 60 * 60 * 1000,
    new LoginThrottle(db.kysely),
    config.RESERVED_NAMES,
  );
  const standing = new Standing(db.kysely);
  const safety = new Safety(
    standing,
    { ...rules, contactEmail: config.CONTACT_EMAIL ?? null },
    metrics,
    bus,
    config.REQUIRE_VERIFIED_EMAIL,
  );
  const categories = await Categories.load(db.kysely, store);
  // Without Redis the rooms live in this process's memory: a kill leaves their calls open until the next start.
  const crashes = config.REDIS_URL ? null : new Crashes(db.kysely, log);
  const history = new History(db.kysely, crashes?.processId ?? null, log.child({ part: 'history' }));
  const rooms = new Rooms(
    store,
    bus,
    history,
    metrics,
    {
      graceMs: config.RESUME_GRACE_MS,
      icePolicy: { strangers: config.strangerIcePolicy, friends: config.friendIcePolicy },
    },
    log,
  );
  const friendships = new Friendships(db.kysely, () => history.written());
  const presence = new Presence(bus, store, friendships, log);
  // Friends asks Blocks who may reach whom, and Blocks ends friendships: the check is bound late.
  const pushTokens = new PushTokens(db.kysely);
  const vapid =
    config.VAPID_PUBLIC_KEY && config.VAPID_PRIVATE_KEY && config.VAPID_SUBJECT
      ? { publicKey: config.VAPID_PUBLIC_KEY, privateKey: config.VAPID_PRIVATE_KEY, subject: config.VAPID_SUBJECT }
      : null;
  if (config.PUSH_ENABLED && !vapid)
    log.warn(
      "no VAPID keys (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT): the web app's push subscriptions are skipped; phones are still woken",
    );
  const push = new Push(
    pushTokens,
    new ExpoSender(config.EXPO_PUSH_URL, config.EXPO_ACCESS_TOKEN),
    vapid && new WebPushSender(vapid),
    { enabled: config.PUSH_ENABLED, receiptDelayMs: config.PUSH_RECEIPT_DELAY_MS },
    log.child({ part: 'push' }),
  );
  const friends = new Friends(
    friendships,
    presence,
    bus,
    (a, b): Promise<boolean> => blocks.between(a, b),
    (request) => push.friendRequest(request),
  );
  const blocks = new Blocks(db.kysely, store, rooms, friends, metrics);
  const matchmaking = new Matchmaking(store, categories, metrics, (userId) => blocks.keepApart(userId));
  // The match store's copy of everyone's blocks is in Redis; one back from an outage may have lost
  // it, so every user's next join reads the database again.
  state.onReconnect(() => blocks.forgetReads());
  const rings = new Rings(store, bus, friends, rooms, metrics, { ringTimeoutMs: config.RING_TIMEOUT_MS }, log, push);
  const fallbacks = new Fallbacks(config.FALLBACK_AFTER_MS);
  const stats = new Stats(bus, store);
  rooms.onPresenceChange((userIds) => presence.changed(userIds));
  const notices = new Notices(db.kysely, bus);
  const suspension = new AutoSuspension(
    db.kysely,
    store,
    bus,
    (userId) => rooms.endRoomOf(userId),
    metrics,
    { reporters: config.AUTO_SUSPEND_REPORTERS, windowH: config.AUTO_SUSPEND_WINDOW_H, dialect: db.dialect },
    notices,
  );
  const reports = new Reports(
    db.kysely,
    {
      // A report blocks and ends the call between the two at once; enough reports suspend.
      block: async (reporterId, reportedId) => {
        await blocks.add(reporterId, reportedId);
        await rooms.endRoomOf(reporterId, reportedId); // Blocks.add ends it already; a report promises it regardless
      },
      reported: async (reportedId, now) => {
        await suspension.check(reportedId, now);
      },
    },
    metrics,
    { windowDays: config.REPORT_WINDOW_DAYS, perDay: config.REPORTS_PER_DAY },
    () => history.written(),
  );
  const evidence = new Evidence(db.kysely, reports);
  const roles = new Roles(db.kysely);
  const decisions = new Decisions({
    db: db.kysely,
    dialect: db.dialect,
    auth,
    notices,
    store,
    bus,
    endRoomOf: (userId) => rooms.endRoomOf(userId),
    metrics,
  });
  const appeals = new Appeals(db.kysely, db.dialect, notices, metrics);
  const mailer = new Mailer({
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    mailDir: path.join(config.dataDir, 'mail'),
    log: log.child({ part: 'mail' }),
  });
  const verification = new EmailVerification(db.kysely, mailer, config.publicUrl);
  const passwordReset = new PasswordReset({ db: db.kysely, auth, mailer, bus, publicUrl: config.publicUrl });
  const profile = new Profile(db.kysely, auth, bus);
  presence.onChange(
    (userId, now) =>
      void rings
        .presenceChanged(userId, now)
        .catch((error: unknown) => log.warn({ err: error, userId }, 'could not end a ring')),
  );
  const restored: string[] = [];
  await state.start({
    adopt: (adopted) => {
      restored.push(...adopted.map((room) => room.id));
      rooms.adopt(adopted);
    },
    lost: (userIds, since) => rooms.lost(userIds, since),
    expire: (userId) => rooms.expire(userId),
    tellUntold: (endings) => rooms.tellUntold(endings),
    announceLate: (made) => rooms.announceLate(made),
  });
  await crashes?.start(restored);
  return {
    metrics,
    auth,
    standing,
    safety,
    categories,
    history,
    crashes,
    rooms,
    pushTokens,
    vapid,
    push,
    friends,
    blocks,
    matchmaking,
    rings,
    fallbacks,
    stats,
    notices,
    reports,
    evidence,
    roles,
    decisions,
    appeals,
    cases,
    mailer,
    verification,
    passwordReset,
    profile,
  };
}
