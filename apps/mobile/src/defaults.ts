/** Every timing and threshold of the app, in one place, each with why. */

/** How often Categories refreshes its `waiting` counts: fresh enough to feel live, light on the server. */
export const CATEGORIES_REFRESH_MS = 4_000;

/** The protocol has no "stopped typing": the indicator shows this long after the peer's last `typing`. */
export const TYPING_SHOWN_MS = 3_000;

/** Send `typing` at most this often while the user types (it counts toward the socket's rate limit). */
export const TYPING_SEND_EVERY_MS = 2_000;

/**
 * A call is "poor network" when this many stats samples in a row (2 s apart, the SDK's
 * interval) lose more than POOR_PACKET_LOSS of packets or take longer than POOR_RTT_MS: one
 * bad sample is a blip, not worth a banner.
 */
export const POOR_SAMPLES_IN_A_ROW = 2;
export const POOR_PACKET_LOSS = 0.08;
export const POOR_RTT_MS = 600;

/** Rows of history shown: the people met recently, not a lifetime. */
export const HISTORY_LIMIT = 100;

/**
 * A browser can't see why a WebSocket upgrade was refused (a 401 looks like any drop), so after
 * this many failed reconnects the app asks GET /api/me whether the session still exists.
 */
export const SESSION_CHECK_AFTER_RETRIES = 2;

/** How long the caller sees how a call ended ("declined", "busy", …) before the view closes by itself. */
export const CALL_OUTCOME_SHOWN_MS = 4_000;

/**
 * While a call is live on the web, a frame of the peer's video is kept this often (the last
 * two, in memory only), so a report can show what happened just before the user pressed Report.
 */
export const SNAPSHOT_EVERY_MS = 1_000;
/** Snapshots are scaled to at most this width: enough to see what happened, well under the server's 256 KiB. */
export const SNAPSHOT_MAX_WIDTH = 640;
export const SNAPSHOT_QUALITY = 0.8;

/** A banned member's screen asks again this often whether an appeal lifted the ban (it has no socket to hear it). */
export const RESTRICTION_RECHECK_MS = 30_000;

/**
 * The shield checks a frame of the peer's video this often (on this device only). Two sexual
 * checks in a row blur, so at 500 ms a shown video is blurred within about 1 s; a check costs
 * 50-80 ms of CPU on wasm (docs/safety.md, "Shield"), so 500 ms stays well under a quarter of
 * one core. Shorter spends battery for little; longer leaves more of an exposure on screen.
 */
export const SHIELD_INTERVAL_MS = 500;

/**
 * While the shield's first check is still coming (the model loads slowly on an old or busy
 * device), its overlay offers Reveal, Report and Next after this long: the user is never left
 * waiting without a choice. Short checks (well under a second) never show it.
 */
export const SHIELD_CHECKING_PATIENCE_MS = 3_000;

/** How often Categories asks how many people are online (GET /api/stats is at most a second stale on the server). */
export const ONLINE_REFRESH_MS = 5_000;

/**
 * A page the service worker served (the installed app, perhaps offline) asks the server before
 * starting; past this the app starts anyway: a slow network is not no network.
 */
export const REACHABILITY_TIMEOUT_MS = 4_000;
