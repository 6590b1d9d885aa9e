/**
 * Every string the app shows, per language and per namespace (one namespace per part of the app,
 * so each part's strings sit in one file per language: locales/<language>/<namespace>.json).
 * English is the source and is always bundled: the types of every key come from it, and it is
 * the fallback. Every other language must have each of its keys (test/node/i18n.test.mts checks)
 * and is loaded when chosen (loaders.ts): on the web it is a chunk of its own, so the first
 * screen carries one language, not five.
 */
import en from './locales/en';

export const english = en;

export type Namespace = keyof typeof en;
export const NAMESPACES = Object.keys(en) as Namespace[];

/** A language's strings: each namespace's object. */
export type LanguageStrings = Record<Namespace, object>;
