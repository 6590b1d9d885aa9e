/**
 * The shield as jest sees it: jest-expo runs the phones' code (useShield.native.ts), which has
 * no classifier, so these are the safe start (hidden with the overlay), Reveal, Report, Next
 * and the setting. The browser's classifier runs in server/test/e2e/shield.test.ts.
 */
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { act, fireEvent, render, screen } from '@testing-library/react-native';
import { File, Paths } from 'expo-file-system';
import type { SmallTalkClient } from '@small-talk/client';
import { ReportRequest } from '@small-talk/protocol';
import { MatchFlow } from '../src/features/call/MatchFlow';
import { SafetyScreen } from '../src/features/safety/SafetyScreen';
import { SHIELD_CHECKING_PATIENCE_MS } from '../src/defaults';
import { ShieldOverlay } from '../src/features/shield/ShieldOverlay';
import type { Shield } from '../src/features/shield/useShield';
import { readShieldOn } from '../src/features/shield/shieldSetting';
import { forgetShieldSetting } from '../src/features/shield/useShieldSetting';
import {
  bo,
  categories,
  defaultRoutes,
  FakePeerConnection,
  fakeServices,
  renderWith,
  settle,
  type TestServices,
} from './fakes';

const music = categories[0]!;
const SHIELD_STATES = ['checking', 'clear', 'blurred', 'revealed'];

let services: TestServices;
let client: SmallTalkClient;
let reports: ReportRequest[];

beforeEach(async () => {
  // Each case is a fresh install: no stored choice, nothing read yet.
  const stored = new File(Paths.document, 'shield-setting.json');
  if (stored.exists) stored.delete();
  forgetShieldSetting();

  FakePeerConnection.instances = [];
  reports = [];
  services = fakeServices({
    routes: defaultRoutes({
      'GET /api/reports': () => [200, { reports: [] }],
      'GET /api/blocks': () => [200, { blocks: [] }],
      'POST /api/reports': ({ body }) => {
        reports.push(ReportRequest.parse(body));
        return [
          201,
          {
            report: {
              id: 'report-1',
              userId: body.userId,
              connectionId: body.connectionId,
              reason: body.reason,
              status: 'open',
              createdAt: new Date().toISOString(),
            },
          },
        ];
      },
    }),
  });
  client = services.createClient(undefined);
  client.connect();
  await services.server.welcome();
});

afterEach(() => client.close());

/** Matched with Bo in Music, and Bo's video arrived. */
async function renderCall(roomId = 'room-1') {
  const onEnd = jest.fn();
  await renderWith(services, <MatchFlow client={client} categories={[music]} onEnd={onEnd} />);
  await settle();
  await services.server.match({ roomId });
  const remote = await FakePeerConnection.latest.receiveStream();
  return { onEnd, remote };
}

function shieldState(): string {
  const text = String(screen.getByTestId('shield-state').props.children);
  // Exactly one of the four words: browser tests and people outside read it as is.
  expect(SHIELD_STATES).toContain(text);
  return text;
}

async function openSafetyAndSwitch() {
  const view = await renderWith(services, <SafetyScreen onBack={() => {}} />);
  await settle();
  await fireEvent.press(screen.getByTestId('shield-setting'));
  await view.unmount();
}

describe('the safe start on phones (no classifier)', () => {
  test("the peer's video starts hidden with the overlay, the name still shown, and says why", async () => {
    const { remote } = await renderCall();

    expect(screen.getByTestId('remote-video')).toHaveAccessibleName(`video ${remote.id} blurred`);
    expect(shieldState()).toBe('blurred');
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');
    expect(screen.getByTestId('shield-overlay')).toHaveTextContent(/can't check it on your phone/);
    for (const id of ['shield-reveal', 'shield-report', 'shield-next'])
      expect(screen.getByTestId(id)).toBeOnTheScreen();
  });

  test('Reveal shows the video for this call only: the next peer starts hidden again', async () => {
    const { remote } = await renderCall();
    await fireEvent.press(screen.getByTestId('shield-reveal'));

    expect(shieldState()).toBe('revealed');
    expect(screen.getByTestId('remote-video')).toHaveAccessibleName(`video ${remote.id}`);
    expect(screen.queryByTestId('shield-overlay')).not.toBeOnTheScreen();

    await fireEvent.press(screen.getByTestId('next-button'));
    await services.server.match({ roomId: 'room-2', peer: { id: 'user-cy', displayName: 'Cy' } });
    const next = await FakePeerConnection.latest.receiveStream();
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Cy');
    expect(shieldState()).toBe('blurred');
    expect(screen.getByTestId('remote-video')).toHaveAccessibleName(`video ${next.id} blurred`);
    expect(screen.getByTestId('shield-overlay')).toBeOnTheScreen();
  });

  test('Report opens the report sheet with Nudity already picked; Submit reports it', async () => {
    await renderCall('room-7');
    await fireEvent.press(screen.getByTestId('shield-report'));

    expect(screen.getByTestId('report-sheet')).toBeOnTheScreen();
    expect(screen.getByTestId('report-reason-nudity')).toBeChecked();
    expect(screen.getByTestId('report-reason-sexual')).not.toBeChecked();
    expect(screen.getByTestId('report-submit')).toBeEnabled();

    await fireEvent.press(screen.getByTestId('report-submit'));
    await settle();
    expect(reports).toEqual([{ userId: bo.id, connectionId: 'room-7', reason: 'nudity' }]);
    expect(screen.getByTestId('report-done')).toBeOnTheScreen();
  });

  test('the report button elsewhere still opens the sheet with nothing picked', async () => {
    await renderCall();
    await fireEvent.press(screen.getByTestId('report-button'));
    expect(screen.getByTestId('report-reason-nudity')).not.toBeChecked();
    expect(screen.getByTestId('report-submit')).toBeDisabled();
  });

  test('Next on the overlay leaves the room and searches again', async () => {
    await renderCall();
    await fireEvent.press(screen.getByTestId('shield-next'));

    expect(services.server.socket.sent.map((frame) => frame.type).slice(-2)).toEqual(['leave', 'join']);
    expect(screen.getByTestId('searching')).toBeOnTheScreen();
  });
});

describe('the shield setting', () => {
  test('is on by default', async () => {
    await renderWith(services, <SafetyScreen onBack={() => {}} />);
    await settle();
    expect(screen.getByTestId('shield-setting')).toBeChecked();
    expect(screen.getByTestId('shield-setting')).toHaveTextContent(/Hide video that may show nudity/);
  });

  test('off shows the video at once, without the overlay', async () => {
    await openSafetyAndSwitch();
    const { remote } = await renderCall();

    expect(screen.getByTestId('remote-video')).toHaveAccessibleName(`video ${remote.id}`);
    expect(shieldState()).toBe('clear');
    expect(screen.queryByTestId('shield-overlay')).not.toBeOnTheScreen();
  });

  test('is kept on the device: the next app run reads it back, and on again hides video again', async () => {
    await openSafetyAndSwitch();
    expect(readShieldOn()).toBe(false);

    forgetShieldSetting();
    const view = await renderWith(services, <SafetyScreen onBack={() => {}} />);
    await settle();
    expect(screen.getByTestId('shield-setting')).not.toBeChecked();
    await fireEvent.press(screen.getByTestId('shield-setting'));
    expect(screen.getByTestId('shield-setting')).toBeChecked();
    expect(readShieldOn()).toBe(true);
    await view.unmount();

    await renderCall();
    expect(shieldState()).toBe('blurred');
  });
});

describe('the overlay, for each state the web shield can be in', () => {
  function shield(state: Shield['state'], problem: Shield['problem'] = null): Shield {
    return { state, hidden: state === 'checking' || state === 'blurred', problem, reveal: () => {} };
  }
  const overlay = (value: Shield) => (
    <ShieldOverlay shield={value} peerName="Bo" onReport={() => {}} onNext={() => {}} nextLabel="Next person" />
  );

  test('checking: a quiet word, then the choice once the first check is slow in coming', async () => {
    jest.useFakeTimers();
    try {
      await render(overlay(shield('checking')));
      expect(screen.getByText('Checking the video…')).toBeOnTheScreen();
      expect(screen.queryByTestId('shield-overlay')).not.toBeOnTheScreen();

      await act(() => jest.advanceTimersByTime(SHIELD_CHECKING_PATIENCE_MS));
      expect(screen.getByTestId('shield-overlay')).toHaveTextContent(/Still checking Bo's video/);
      expect(screen.getByTestId('shield-reveal')).toBeOnTheScreen();
    } finally {
      jest.useRealTimers();
    }
  });

  test('blurred by a check: says it may show nudity; the model did not load: says why', async () => {
    const view = await render(overlay(shield('blurred')));
    expect(screen.getByTestId('shield-overlay')).toHaveTextContent(/The shield hid Bo's video: it may show nudity/);

    await view.rerender(overlay(shield('blurred', { kind: 'load-failed', detail: 'out of memory' })));
    expect(screen.getByTestId('shield-overlay')).toHaveTextContent(/could not start in this browser \(out of memory\)/);
    expect(screen.getByTestId('shield-reveal')).toBeOnTheScreen();
  });

  test('clear and revealed: nothing over the video', async () => {
    const view = await render(overlay(shield('clear')));
    expect(screen.queryByTestId('shield-overlay')).not.toBeOnTheScreen();
    expect(screen.queryByText('Checking the video…')).not.toBeOnTheScreen();
    await view.rerender(overlay(shield('revealed')));
    expect(screen.queryByTestId('shield-overlay')).not.toBeOnTheScreen();
  });
});
