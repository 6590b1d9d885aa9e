// Every browser the web app supports has Intl.PluralRules: no polyfill in the web bundle
// (6 KB gzipped). Phones load one: pluralRules.native.ts.
export {};
