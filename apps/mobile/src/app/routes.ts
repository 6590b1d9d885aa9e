import type { Category, Peer } from '@small-talk/protocol';

/** Where a screen that can be left goes back to. */
export type BackRoute =
  | { name: 'categories' }
  | { name: 'history' }
  | { name: 'friends' }
  | { name: 'safety' }
  /** The moderators' console: queue, cases, appeals, audit log. */
  | { name: 'moderation' }
  | { name: 'account'; back: BackRoute };

export type Route =
  | BackRoute
  /** Searching, then calls, in `categories` (most wanted first). */
  | { name: 'match'; categories: Category[] }
  /** A call between friends with `peer`, answered or made here; End returns to `back`. */
  | { name: 'direct'; peer: Peer; back: BackRoute };
