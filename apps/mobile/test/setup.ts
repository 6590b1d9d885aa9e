/**
 * Native libraries under jest: their own shipped jest mocks where they ship one
 * (react-native-safe-area-context, @react-native-community/netinfo; the Expo modules'
 * native sides are mocked by jest-expo itself), and small stand-ins for the two that ship none.
 */
import { jest } from '@jest/globals';

jest.mock(
  'react-native-safe-area-context',
  () => jest.requireActual<{ default: unknown }>('react-native-safe-area-context/jest/mock').default,
);
jest.mock('@react-native-community/netinfo', () =>
  jest.requireActual('@react-native-community/netinfo/jest/netinfo-mock.js'),
);

// react-native-incall-manager ships no mock: its three calls the app makes, recorded.
jest.mock('react-native-incall-manager', () => ({
  __esModule: true,
  default: { start: jest.fn(), stop: jest.fn(), setForceSpeakerphoneOn: jest.fn() },
}));

// react-native-webrtc ships no mock and needs its native module: the app's screens get the fake
// platform (test/fakes.tsx); only the camera's re-opening after the background reaches for it.
jest.mock('react-native-webrtc', () => ({
  mediaDevices: { getUserMedia: jest.fn() },
  RTCView: () => null,
  RTCPeerConnection: class {},
  RTCSessionDescription: class {},
  RTCIceCandidate: class {},
}));

// Screens speak English in these tests, whatever the machine's locale: their assertions read English.
import { i18n } from '../src/i18n/i18n';
void i18n.changeLanguage('en');
