// Hermes (the phones' JavaScript engine) lacks Intl.PluralRules, which i18next's plurals need;
// the polyfill installs itself only where it is missing.
import 'intl-pluralrules';
