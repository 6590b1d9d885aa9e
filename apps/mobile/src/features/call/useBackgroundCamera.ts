import type { Call } from '@small-talk/client';
import type { LocalStream } from '../../platform/types';

/**
 * A phone's camera is let go while the app is in the background (useBackgroundCamera.native.ts).
 * A browser tab keeps its camera (the user sees the tab's camera indicator), so nothing here.
 */
export function useBackgroundCamera(_stream: LocalStream, _call: Call | null): void {}
