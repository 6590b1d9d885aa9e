import { useEffect } from 'react';
import { activateKeepAwakeAsync, deactivateKeepAwake } from 'expo-keep-awake';
import { startCallAudio, stopCallAudio } from '../../device/callAudio';

const KEEP_AWAKE_TAG = 'small-talk-call';

/**
 * What the device does while a call is live, and undoes when it ends: the screen stays awake
 * (expo-keep-awake; the Screen Wake Lock in a browser that has it), and on a phone the audio is
 * a call's (device/callAudio: loudspeaker for video, headsets and Bluetooth when connected).
 */
export function useInCall(live: boolean): void {
  useEffect(() => {
    if (!live) return;
    // A browser may refuse the wake lock (a hidden tab, no support): the call goes on regardless.
    activateKeepAwakeAsync(KEEP_AWAKE_TAG).catch(() => {});
    startCallAudio();
    return () => {
      Promise.resolve(deactivateKeepAwake(KEEP_AWAKE_TAG)).catch(() => {});
      stopCallAudio();
    };
  }, [live]);
}
