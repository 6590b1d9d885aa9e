import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';

/**
 * No iOS or Android device or simulator exists on these machines, so the native app is checked
 * as far as a build server would take it: Hermes bundles for both platforms, and the native
 * projects that `expo prebuild` generates, with the camera and microphone permissions the
 * WebRTC config plugin must put there and what expo-notifications' plugin adds for push.
 */
const run = promisify(execFile);
const app = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const repo = path.resolve(app, '../..');
// Inside the checkout, so the copy resolves the workspace's node_modules like the app does.
const scratch = fs.mkdtempSync(path.join(repo, '.tmp', 'native-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const expo = (args: string[], cwd: string) =>
  run('npx', ['expo', ...args], {
    cwd,
    env: { ...process.env, CI: '1', EXPO_NO_TELEMETRY: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });

/** Hermes bytecode starts with this magic number (little-endian 0x1F1903C103BC1FC6). */
const HERMES_MAGIC = Buffer.from([0xc6, 0x1f, 0xbc, 0x03, 0xc1, 0x03, 0x19, 0x1f]);

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe('native builds', () => {
  test('eas.json has development, preview and production build profiles, each for its own environment', () => {
    const eas = JSON.parse(fs.readFileSync(path.join(app, 'eas.json'), 'utf8')) as {
      build: Record<string, { environment?: string; distribution?: string }>;
    };
    assert.deepEqual(Object.keys(eas.build).sort(), ['development', 'preview', 'production']);
    for (const [name, profile] of Object.entries(eas.build)) assert.equal(profile.environment, name);
    // Store binaries only from production; the others are installed directly on testers' devices.
    assert.equal(eas.build.preview!.distribution, 'internal');
    assert.equal(eas.build.production!.distribution, undefined);
  });

  test('expo export compiles the app to Hermes bytecode for iOS and for Android', async () => {
    const out = path.join(scratch, 'export');
    await expo(['export', '--platform', 'ios', '--platform', 'android', '--output-dir', out], app);
    for (const platform of ['ios', 'android']) {
      const bundles = filesUnder(path.join(out, '_expo/static/js', platform)).filter((f) => f.endsWith('.hbc'));
      assert.equal(bundles.length, 1, `one ${platform} bundle`);
      const head = fs.readFileSync(bundles[0]!).subarray(0, 8);
      assert.deepEqual(head, HERMES_MAGIC, `${platform} bundle is Hermes bytecode`);
      assert.ok(fs.statSync(bundles[0]!).size > 100_000, `${platform} bundle holds the app, not an empty shell`);
    }
  });

  test('expo prebuild generates native projects that ask for the camera and the microphone, and can receive pushes', async () => {
    const copy = path.join(scratch, 'mobile');
    fs.cpSync(app, copy, {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|dist|android|ios|\.expo|test)$/.test(source),
    });
    await expo(['prebuild', '--no-install', '--platform', 'all'], copy);

    const manifest = fs.readFileSync(path.join(copy, 'android/app/src/main/AndroidManifest.xml'), 'utf8');
    // Notifications (Android 13+ asks for them), Bluetooth headsets for call audio (Android 12+),
    // and the network type for ICE restarts on a switch (issue 16).
    for (const permission of [
      'CAMERA',
      'RECORD_AUDIO',
      'MODIFY_AUDIO_SETTINGS',
      'INTERNET',
      'POST_NOTIFICATIONS',
      'BLUETOOTH_CONNECT',
      'ACCESS_NETWORK_STATE',
    ]) {
      assert.match(manifest, new RegExp(`android\\.permission\\.${permission}"`), `Android asks for ${permission}`);
    }

    const plists = filesUnder(path.join(copy, 'ios')).filter((f) => f.endsWith('Info.plist') && !f.includes('Pods'));
    assert.ok(plists.length > 0, 'an iOS Info.plist');
    const plist = fs.readFileSync(plists[0]!, 'utf8');
    for (const key of ['NSCameraUsageDescription', 'NSMicrophoneUsageDescription']) {
      const value = new RegExp(`<key>${key}</key>\\s*<string>([^<]+)</string>`).exec(plist)?.[1];
      assert.ok(value && value.length > 10, `iOS explains ${key} to the user: ${value}`);
    }
    // The call's audio goes on while the app is in the background (its camera is let go).
    assert.match(
      plist,
      /<key>UIBackgroundModes<\/key>\s*<array>\s*<string>audio<\/string>/,
      'iOS keeps call audio in the background',
    );
    // The session token is in the Keychain without Face ID: no Face ID prompt text is asked for.
    assert.doesNotMatch(plist, /NSFaceIDUsageDescription/);

    // Push (expo-notifications' config plugin): FCM's notifications on Android land in the
    // channel the app creates for calls ('default', pushRegistration.native.ts) in the app's
    // accent colour; iOS gets the push entitlement. iOS asks for notifications without an
    // Info.plist text, so there is none to check.
    const metaData = (name: string) =>
      new RegExp(`<meta-data android:name="${name.replace(/\./g, '\\.')}" android:(value|resource)="([^"]+)"/>`).exec(
        manifest,
      )?.[2];
    assert.equal(
      metaData('com.google.firebase.messaging.default_notification_channel_id'),
      'default',
      'pushes land in the calls channel',
    );
    assert.equal(
      metaData('com.google.firebase.messaging.default_notification_color'),
      '@color/notification_icon_color',
    );
    assert.equal(metaData('expo.modules.notifications.default_notification_color'), '@color/notification_icon_color');
    const colors = fs.readFileSync(path.join(copy, 'android/app/src/main/res/values/colors.xml'), 'utf8');
    assert.match(
      colors,
      /<color name="notification_icon_color">#5b8cff<\/color>/i,
      'the accent colour of src/ui/theme.ts',
    );
    const entitlements = filesUnder(path.join(copy, 'ios')).filter((f) => f.endsWith('.entitlements'));
    assert.equal(entitlements.length, 1, 'an iOS entitlements file');
    assert.match(
      fs.readFileSync(entitlements[0]!, 'utf8'),
      /<key>aps-environment<\/key>\s*<string>(development|production)<\/string>/,
      'iOS may receive pushes',
    );
  });
});
