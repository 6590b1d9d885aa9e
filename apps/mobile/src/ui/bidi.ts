/**
 * Bidirectional controls: embeddings and overrides (U+202A–202E), isolates (U+2066–2069) and
 * direction marks (U+200E, U+200F, U+061C). The server already removes them from chat and names;
 * they are removed again here so that nothing inside can end our isolate early.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

/**
 * Text from another user, wrapped in a bidi isolate (FIRST STRONG ISOLATE … POP DIRECTIONAL
 * ISOLATE): its direction comes from its own first letter, and right-to-left text inside it can
 * never reorder what is around it ("محمد is typing…", a bubble beside the time).
 */
export function isolated(text: string): string {
  return `\u2068${text.replace(BIDI_CONTROLS, '')}\u2069`;
}
