/**
 * A call's audio on a phone (react-native-incall-manager): while in a call the audio session is
 * a voice call's (echo cancelled, other apps' sound ducked). A video call plays through the
 * loudspeaker by default, since the phone is held in front of the face, and moves to a wired
 * headset or a Bluetooth device when one is connected (and back when it goes). The proximity
 * sensor is a voice call's habit (screen off at the ear): incall-manager turns it on only for
 * `media: 'audio'`, so a video call keeps the screen on. callAudio.ts is the browser's.
 */
import InCallManager from 'react-native-incall-manager';

let started = false;

/** Called when a call's room begins; once per call, whatever the re-renders. */
export function startCallAudio(): void {
  if (started) return;
  started = true;
  // `video`: the loudspeaker by default; `auto`: a wired headset or Bluetooth takes over when connected.
  InCallManager.start({ media: 'video', auto: true });
}

/** Called when the call ends: the audio session goes back to the music player and notifications. */
export function stopCallAudio(): void {
  if (!started) return;
  started = false;
  InCallManager.stop();
}
