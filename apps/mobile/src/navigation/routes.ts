import type { Category, Peer } from '@small-talk/protocol';

/** Where a screen that can be left goes back to. */
export type BackRoute =
  | { name: 'categories' }
  | { name: 'history' }
  | { name: 'friends' }
  | { name: 'safety' }
  /** Name, languages, bio; whether the e-mail address is confirmed. */
  | { name: 'profile' }
  /** The moderators' console: queue, cases, appeals, audit log. */
  | { name: 'moderation' }
  | { name: 'account'; back: BackRoute }
  /**
   * Confirming the e-mail address with a mailed code: after registering (`codeSent`), from
   * Profile, or when the server admits only confirmed addresses (`reason`).
   */
  | { name: 'verify'; codeSent: boolean; reason?: 'verification_required'; back: BackRoute };

export type Route =
  | BackRoute
  /**
   * Searching, then calls, in `categories` (most wanted first). `rejoin`: the call screen of the
   * room the server gave back to a page reloaded mid-call, no search first; Next searches its category.
   */
  | { name: 'match'; categories: Category[]; anyone: boolean; rejoin?: boolean }
  /** A call between friends with `peer`, answered or made here; End returns to `back`. */
  | { name: 'direct'; peer: Peer; back: BackRoute };
