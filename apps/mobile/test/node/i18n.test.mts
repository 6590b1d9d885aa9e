/**
 * The app speaks every language it offers completely, and says nothing outside the i18n layer:
 * - every language has each key English has (each plural form its grammar needs), no key English
 *   lacks, no empty string, and the same {{placeholders}};
 * - no component renders a literal string (JSX text, or a user-facing attribute such as
 *   accessibilityLabel or placeholder): eslint-plugin-i18next's no-literal-string over src/.
 * Runs under Node's test runner (npm test), beside the other Node suites.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import i18next from 'eslint-plugin-i18next';
import tseslint from 'typescript-eslint';

const app = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const localesDir = path.join(app, 'src/i18n/locales');
const LANGUAGES = ['en', 'es', 'de', 'fr', 'pt-BR'];
const PLURAL = /_(zero|one|two|few|many|other)$/;

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === 'string') out.set(prefix + key, value);
    else for (const [k, v] of flatten(value, `${prefix}${key}.`)) out.set(k, v);
  }
  return out;
}

function load(language: string, namespace: string): Map<string, string> {
  return flatten(JSON.parse(readFileSync(path.join(localesDir, language, `${namespace}.json`), 'utf8')) as Tree);
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1]!).sort();
}

/** English's plural keys' bases: those with an `_other` form (`too_many` alone, an error code, is not a plural). */
function pluralBases(english: Map<string, string>): Set<string> {
  return new Set([...english.keys()].filter((key) => key.endsWith('_other')).map((key) => key.replace(PLURAL, '')));
}

/** The keys a language must have for English's `key`: a plural key needs each form of the language's grammar. */
function keysFor(language: string, englishKey: string, plurals: Set<string>): string[] {
  const base = englishKey.replace(PLURAL, '');
  if (!PLURAL.test(englishKey) || !plurals.has(base)) return [englishKey];
  return new Intl.PluralRules(language).resolvedOptions().pluralCategories.map((category) => `${base}_${category}`);
}

const namespaces = readdirSync(path.join(localesDir, 'en'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

test('every language has the same namespaces as English', () => {
  for (const language of LANGUAGES) {
    const files = readdirSync(path.join(localesDir, language))
      .filter((f) => f.endsWith('.json'))
      .sort();
    assert.deepEqual(files, namespaces.map((n) => `${n}.json`).sort(), `${language}'s namespaces`);
  }
});

for (const language of LANGUAGES.filter((l) => l !== 'en')) {
  test(`${language} has every key English has, and no other`, () => {
    const problems: string[] = [];
    for (const namespace of namespaces) {
      const english = load('en', namespace);
      const translated = load(language, namespace);
      const plurals = pluralBases(english);
      const expected = new Set<string>();
      for (const [key, text] of english) {
        for (const needed of keysFor(language, key, plurals)) {
          expected.add(needed);
          const value = translated.get(needed);
          if (value === undefined) problems.push(`${namespace}:${needed} is missing`);
          else if (value.trim() === '') problems.push(`${namespace}:${needed} is empty`);
          else if (
            placeholders(value).join() !== placeholders(text).join() &&
            !(
              plurals.has(key.replace(PLURAL, '')) &&
              placeholders(value).join() ===
                placeholders(text)
                  .filter((p) => p !== 'count')
                  .join()
            )
          ) {
            problems.push(
              `${namespace}:${needed} has placeholders ${placeholders(value).join(', ') || 'none'}, English ${placeholders(text).join(', ') || 'none'}`,
            );
          }
        }
      }
      for (const key of translated.keys())
        if (!expected.has(key)) problems.push(`${namespace}:${key} is not an English key`);
    }
    assert.deepEqual(problems, []);
  });
}

test('English has no empty string', () => {
  const empty = namespaces.flatMap((namespace) =>
    [...load('en', namespace)].filter(([, text]) => text.trim() === '').map(([key]) => `${namespace}:${key}`),
  );
  assert.deepEqual(empty, []);
});

test('no component renders a literal string outside the i18n layer', async () => {
  const eslint = new ESLint({
    cwd: app,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['src/**/*.tsx'],
        // The app's own lint (the root eslint.config.js) has its disable comments in these files,
        // naming rules this config does not load: they are not this test's to judge.
        linterOptions: { reportUnusedDisableDirectives: 'off' },
        languageOptions: { parser: tseslint.parser, parserOptions: { ecmaFeatures: { jsx: true } } },
        plugins: { i18next },
        rules: {
          'i18next/no-literal-string': [
            'error',
            {
              mode: 'jsx-only',
              'should-validate-template': true,
              // The attributes a person reads or hears; testID, nativeID, style values… are not.
              'jsx-attributes': {
                include: [
                  '^(accessibilityLabel|accessibilityHint|aria-label|aria-description|placeholder|title|label|alt|accessibilityValue)$',
                ],
              },
            },
          ],
        },
      },
    ],
  });
  const results = await eslint.lintFiles(['src/**/*.tsx']);
  // Only this rule's findings and files that don't parse: a disable comment for a rule of the root
  // lint reads here as "Definition for rule … was not found", which is that lint's business.
  const found = results.flatMap((result) =>
    result.messages
      .filter((message) => message.fatal === true || message.ruleId?.startsWith('i18next/'))
      .map((message) => `${path.relative(app, result.filePath)}:${message.line}:${message.column} ${message.message}`),
  );
  assert.ok(results.length > 30, `linted ${results.length} component files`);
  assert.deepEqual(found, []);
});
