import { useEffect, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { SmallTalkClient } from '@small-talk/client';
import type { Category } from '@small-talk/protocol';
import { categoryName } from '../categories/categoryName';
import { preloadShield } from '../shield/useShield';
import { shieldOn } from '../shield/useShieldSetting';
import { CallScreen } from './CallScreen';
import { SearchingScreen } from './SearchingScreen';
import { useMatch } from './useMatch';
import { useSocketState } from './useSocketState';

export interface MatchFlowProps {
  client: SmallTalkClient;
  /** Where to queue, most wanted first; keep the array stable (a new one restarts the search). */
  categories: readonly Category[];
  /** Meet anyone who shares a language after a while, beyond the categories. */
  anyone?: boolean;
  /** The server admits only verified e-mail addresses (`verification_required`): lead the user there. */
  onVerificationRequired?: () => void;
  /** The room the server gave back to a page reloaded mid-call: its call screen first, no search. */
  rejoin?: boolean;
  /** Cancel or End: back to Categories (unmounting ends the search or the room). */
  onEnd(): void;
}

/** Searching until a room exists, then the Call; Next goes back to Searching with the same camera. */
export function MatchFlow({
  client,
  categories,
  anyone = false,
  rejoin = false,
  onVerificationRequired,
  onEnd,
}: MatchFlowProps) {
  // Re-renders on a change of language: the category names below follow it.
  useTranslation(['categories']);
  const slugs = useMemo(() => categories.map((category) => category.slug), [categories]);
  const match = useMatch(client, slugs, { anyone, onVerificationRequired, rejoin });
  const { state: socketState } = useSocketState(client);
  // The model loads while the user waits for a match, not after the peer's video arrived.
  useEffect(() => {
    if (shieldOn()) preloadShield();
  }, []);

  if (match.room && match.media.status === 'ready') {
    return (
      <CallScreen
        client={client}
        room={match.room}
        call={match.call}
        callFailed={match.callFailed}
        roomEnd={match.roomEnd}
        localStream={match.media.stream}
        categoryName={nameOf(categories, match.room.category)}
        onNext={match.next}
        onEnd={onEnd}
      />
    );
  }
  return (
    <SearchingScreen
      media={match.media}
      queuedAt={match.queuedAt}
      widened={match.widened}
      categoryNames={categories.map((category) => categoryName(category.slug, category.name))}
      offline={socketState !== 'open'}
      searchStopped={match.searchStopped}
      onCancel={onEnd}
      onRetryMedia={match.retryMedia}
      onRetrySearch={match.retrySearch}
    />
  );
}

/** A widened search's room has no category (null): the user met someone beyond its picks, "Anyone". */
function nameOf(categories: readonly Category[], slug: string | null): string {
  return categoryName(slug, categories.find((category) => category.slug === slug)?.name);
}
