/**
 * Characters removed from chat text before it is relayed: bidi controls (ALM, LRM, RLM, the
 * embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069), which let a message
 * display reversed or spill its direction into the app around it ("gnp.exe" shown as
 * "exe.png"), and control characters (C0, DEL, C1), which render as nothing or garble the
 * line — all but the newline, which people type.
 */
const UNSAFE = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** `text` without the characters above; may be empty when it held nothing else. */
export function cleanChatText(text: string): string {
  return text.replace(UNSAFE, '');
}
