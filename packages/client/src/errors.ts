import type { ErrorCode } from '@small-talk/protocol';

/**
 * An error the SDK throws for a call the app should not have made (join while in a room,
 * a frame over the size limit). Its `code` is one of the protocol's, so apps branch on it
 * the same way as on an `error` frame from the server.
 */
export class SmallTalkError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SmallTalkError';
  }
}
