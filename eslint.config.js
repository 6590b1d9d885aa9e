// The repository's lint (issue 17): type-aware checks for the bugs types alone miss (a promise
// nobody awaits, a promise where a callback's result is ignored, a switch that forgets a case),
// import cycles, and the layer rules of docs/architecture.md as lint errors.
// apps/mobile/test/node/i18n.test.mts runs its own ESLint with `overrideConfigFile: true`, so it
// never reads this file.
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const TS = ['**/*.ts', '**/*.tsx', '**/*.mts'];
const JS = ['**/*.js', '**/*.mjs', '**/*.cjs'];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      '.tmp/',
      'data/',
      // Made by apps/mobile/scripts/shield-assets.mjs from npm packages.
      'apps/mobile/public/shield/',
      'apps/mobile/android/',
      'apps/mobile/ios/',
      'apps/mobile/.expo/',
      'apps/mobile/expo-env.d.ts',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },

  // TypeScript, with types: every file belongs to a tsconfig, which the project service finds
  // (the nearest tsconfig.json above the file). The syntax-only recommended set, plus the
  // type-aware rules that find bugs. recommendedTypeChecked's no-unsafe-* family (about 650
  // findings, nearly all JSON bodies read in tests and Kysely's untyped migrations),
  // unbound-method (mostly jest's expect(mock.method)), require-await and
  // no-unnecessary-type-assertion are style, and cost half the run's time.
  {
    files: TS,
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test() and describe() return a promise the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        // A `default:` is a decision to treat the rest alike; what the rule must catch is a
        // switch over a union that silently skips a member added later.
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-implied-eval': 'error',
      // `_name` marks a parameter a signature needs but the body does not use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },

  // Scripts and config in plain JavaScript belong to no tsconfig: lint them without types.
  {
    files: JS,
    extends: [tseslint.configs.recommended],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' },
    },
  },
  // scripts/shield is a one-off tool run with tsx outside every tsconfig.
  {
    files: ['scripts/**/*.ts'],
    extends: [tseslint.configs.disableTypeChecked],
  },

  // Import cycles: a module that imports itself through others runs with half its bindings
  // undefined at load, depending on which file was imported first.
  {
    files: [...TS, ...JS],
    plugins: { 'import-x': importX },
    settings: {
      // Without these, import-x reads no exports from .ts files and so follows no import: no cycle is found.
      'import-x/extensions': ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'],
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx', '.mts', '.cts'] },
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          noWarnOnMultipleProjects: true,
          project: [
            'packages/protocol/tsconfig.json',
            'packages/client/test/tsconfig.json',
            'server/test/tsconfig.json',
            'apps/mobile/tsconfig.json',
            'apps/mobile/test/node/tsconfig.json',
            'apps/mobile/test/native/tsconfig.json',
          ],
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },

  // Layers (docs/architecture.md): transport → services → storage.
  // The protocol is zod schemas only: nothing of ours, so every part can depend on it.
  {
    files: ['packages/protocol/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@small-talk/', message: 'The protocol depends only on zod.' },
            { regex: '^\\.\\./', message: 'The protocol depends only on zod: nothing outside packages/protocol/src.' },
          ],
        },
      ],
    },
  },
  // The SDK runs in any JavaScript runtime (browser, React Native, Node); the app brings React.
  {
    files: ['packages/client/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^react(-dom|-native)?(/|$)',
              message: 'The SDK never imports React: it is plain TypeScript the app wraps in hooks.',
            },
          ],
        },
      ],
    },
  },
  // Services: everything in server/src that is neither transport nor storage. Transport is each
  // folder's routes.ts (and *-routes.ts, and the top routes.ts listing them), auth/principal.ts
  // (who sent a request), signaling/ (the WebSocket edge), http/ (rules every request meets),
  // health/, and app.ts/main.ts, which wire it all. Services take typed values and return typed
  // values or AppError; they never see a request or a socket, so they never import fastify or ws.
  {
    files: ['server/src/**'],
    ignores: [
      'server/src/app.ts',
      'server/src/main.ts',
      'server/src/**/routes.ts',
      'server/src/**/*-routes.ts',
      'server/src/auth/principal.ts',
      'server/src/signaling/**',
      'server/src/http/**',
      'server/src/health/**',
      'server/src/storage/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'fastify', message: 'Services never import fastify: the routes.ts beside them is the HTTP edge.' },
            { name: 'ws', message: 'Services never import ws: signaling/ is the WebSocket edge.' },
          ],
          patterns: [
            {
              regex: '^@fastify/',
              message: 'Services never import fastify: the routes.ts beside them is the HTTP edge.',
            },
            {
              regex: '^fastify-',
              message: 'Services never import fastify: the routes.ts beside them is the HTTP edge.',
            },
          ],
        },
      ],
    },
  },
  // Storage imports nothing of ours above it; errors.ts (AppError and its codes) is a leaf every
  // layer shares. import-x resolves each path, so `../../rooms/service.js` and
  // `../rooms/service.js` are caught alike.
  {
    files: ['server/src/storage/**'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './server/src/storage',
              from: './server/src',
              except: ['./storage', './errors.ts'],
              message: 'Storage imports nothing of ours above it (docs/architecture.md, Layers).',
            },
          ],
        },
      ],
    },
  },
);
