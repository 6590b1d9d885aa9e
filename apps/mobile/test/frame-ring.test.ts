/**
 * The browser's snapshots for a report (src/features/report/frameRing.ts): one frame a second
 * from the peer's video. Jest runs the app as iOS, where frameRing.native.ts (no snapshots)
 * stands in, so this loads the browser's file by name and gives it a page of fakes: a video that
 * has frames and a canvas that draws them (or refuses to, as a real one may).
 */
import { afterEach, beforeEach, expect, jest, test } from '@jest/globals';
import { renderHook } from '@testing-library/react-native';
import type { MediaStreamLike } from '@small-talk/client';
import { SNAPSHOT_EVERY_MS } from '../src/defaults';
import type { useFrameRing as UseFrameRing } from '../src/features/report/frameRing';
import { FakeStream } from './fakes';

const { useFrameRing } = jest.requireActual<{ useFrameRing: typeof UseFrameRing }>(
  '../src/features/report/frameRing.ts',
);

/** A drawn frame: only its size matters to the ring (it must fit the server's limit). */
type Frame = { size: number; drawn: number };

/** The page's document: one off-screen video, one canvas whose drawImage throws while `refuse` says so. */
function fakePage() {
  const page = { refuse: false, drawn: 0 };
  const video = {
    muted: false,
    playsInline: false,
    srcObject: null as unknown,
    readyState: 4,
    videoWidth: 640,
    videoHeight: 480,
    play: async () => {},
    pause: () => {},
  };
  const canvas = {
    width: 0,
    height: 0,
    getContext: () => ({
      drawImage: () => {
        if (page.refuse) throw new Error('the canvas refused the frame');
        page.drawn += 1;
      },
    }),
    toBlob: (done: (frame: Frame) => void) => done({ size: 1000, drawn: page.drawn }),
  };
  const document = { createElement: (tag: string) => (tag === 'video' ? video : canvas) };
  return { page, document };
}

const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', recordUnhandled);
  jest.useFakeTimers();
});

afterEach(() => {
  process.off('unhandledRejection', recordUnhandled);
  jest.useRealTimers();
  Reflect.deleteProperty(globalThis, 'document');
});

/** Node reports an unhandled rejection once the microtasks have run, before the next macrotask. */
const realSetImmediate = setImmediate;
const nextMacrotask = () => new Promise<void>((resolve) => realSetImmediate(resolve));

test('a frame the canvas refuses is skipped without an unhandled rejection, and the next second keeps its frame', async () => {
  const { page, document } = fakePage();
  Object.assign(globalThis, { document });
  const stream: MediaStreamLike = new FakeStream();
  const { result, unmount } = await renderHook(() => useFrameRing(stream));

  page.refuse = true;
  jest.advanceTimersByTime(SNAPSHOT_EVERY_MS);
  await nextMacrotask();
  await nextMacrotask();
  expect(unhandled).toEqual([]);

  page.refuse = false;
  jest.advanceTimersByTime(SNAPSHOT_EVERY_MS);
  await nextMacrotask();
  // The frame kept from that second, after the one taken as the report opens.
  expect(await result.current!.take()).toEqual([
    { size: 1000, drawn: 2 },
    { size: 1000, drawn: 1 },
  ]);
  expect(unhandled).toEqual([]);
  await unmount();
});
