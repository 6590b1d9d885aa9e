import { describe, expect, jest, test } from '@jest/globals';

// A British phone: English, written the British way (day before month, a 24-hour clock). Called
// through a function: the imports below run before this file's constants are set.
const mockDeviceLocaleTags = jest.fn(() => ['en-GB']);
jest.mock('../src/device/locales', () => ({
  deviceLocaleTags: () => mockDeviceLocaleTags(),
  deviceLanguageCodes: () => ['en'],
}));

import { formatDate, formatDateTime, formatTime } from '../src/i18n/format';

describe('dates in the device’s way of writing the app’s language', () => {
  test('English on a British phone: the day first, a 24-hour clock', () => {
    const at = new Date(2026, 4, 12, 14, 30);
    expect(formatDate(at)).toBe('12 May 2026');
    expect(formatTime(at)).toBe('14:30');
    expect(formatDateTime(at, new Date(2026, 0, 1))).toMatch(/^12 May,? 14:30$/);
  });

  test('the device’s locales are read once, not for every date on a screen', () => {
    formatDate(new Date(2026, 4, 1));
    const before = mockDeviceLocaleTags.mock.calls.length;
    for (let day = 1; day <= 20; day += 1) formatDate(new Date(2026, 4, day));
    expect(mockDeviceLocaleTags.mock.calls.length - before).toBe(0);
  });
});
