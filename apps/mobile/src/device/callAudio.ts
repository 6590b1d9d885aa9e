/**
 * The phone's call audio (callAudio.native.ts): a browser routes a call's sound by itself, so
 * here there is nothing to start or release.
 */
export function startCallAudio(): void {}

export function stopCallAudio(): void {}
