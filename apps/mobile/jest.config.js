// Component tests: jest-expo (iOS flavour) with @testing-library/react-native.
// test/native holds Node test-runner suites (native builds), not jest's.
// Jest loads this file as CommonJS (the package is not "type": "module"), so it requires rather than imports.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS config file, see above
const path = require('node:path');

// Every import of React resolves to the one the app bundles. npm workspaces can hoist a second
// React beside it (a peer of some dev tool); two copies break hooks ("Cannot read properties of
// null (reading 'useState')").
const react = path.dirname(require.resolve('react/package.json', { paths: [__dirname] }));

module.exports = {
  preset: 'jest-expo',
  testMatch: ['<rootDir>/test/*.test.ts?(x)'],
  // On a fresh clone jest has no transform cache yet: the first test of a file pays for
  // compiling the app and React Native, which on a busy 2-core machine exceeds jest's 5 s.
  testTimeout: 30_000,
  // The native libraries' own jest mocks (and stand-ins for those that ship none).
  setupFiles: ['<rootDir>/test/setup.ts'],
  moduleNameMapper: {
    '^react$': react,
    '^react/(.*)$': `${react}/$1`,
  },
};
