import type { english } from './resources';

// t('ns:key') is checked against the English strings at compile time: a key that does not exist fails `tsc`.
declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'common';
    resources: typeof english;
  }
}
