import type { ErrorCode } from '@small-talk/protocol';

/** The one table from error code to HTTP status. */
export const httpStatus: Record<ErrorCode, number> = {
  bad_request: 400,
  unknown_category: 400,
  busy: 409,
  not_in_room: 409,
  not_friends: 403,
  no_connection: 403,
  already_friends: 409,
  already_requested: 409,
  request_declined_recently: 409,
  consent_required: 403,
  restricted: 403,
  not_allowed: 403,
  rules_changed: 409,
  underage: 403,
  already_reported: 409,
  too_large: 413,
  too_many: 409,
  rate_limited: 429,
  unauthenticated: 401,
  invalid_credentials: 401,
  email_taken: 409,
  reserved_name: 400,
  forbidden_origin: 403,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
  internal: 500,
  banned: 403,
  already_appealed: 409,
  not_restricted: 409,
  conflict_of_interest: 403,
  already_decided: 409,
  verification_required: 403,
  invalid_code: 400,
  invalid_token: 400,
};

/** An expected failure: its code reaches the client as `{error:{code,message}}` or an `error` frame. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return httpStatus[this.code];
  }
}

export function errorBody(code: ErrorCode, message: string) {
  return { error: { code, message } };
}
