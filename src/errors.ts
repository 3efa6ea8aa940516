/** Bad input: names the field and says what is wrong. HTTP 400, CLI exit 2, platform infcode -1. */
export class InputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'InputError';
  }
}

/** The first problem of a zod error as an InputError naming its field. */
export function fromZodIssues(issues: readonly { path: PropertyKey[]; message: string; code?: string; keys?: string[] }[], prefix = ''): InputError {
  const i = issues[0];
  const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
  if (i.code === 'unrecognized_keys' && i.keys?.length)
    return new InputError([path, i.keys[0]].filter(Boolean).join('.'), 'is not a field of this request');
  return new InputError(path || '(request)', i.message);
}

/** The caller is not logged in (HTTP 401). */
export class UnauthorizedError extends Error {
  constructor(message = 'log in first: send Authorization: Bearer <token>') {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

/** The caller's role or scope does not allow this (HTTP 403). */
export class ForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/** No such thing (HTTP 404). */
export class NotFoundError extends Error {
  constructor(
    readonly entity: string,
    readonly key: string,
  ) {
    super(`no ${entity} ${key}`);
    this.name = 'NotFoundError';
  }
}

/** A business rule refuses the change (HTTP 409), e.g. a duplicate enrollment or a settled encounter. */
export class ConflictError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** Too many attempts (HTTP 429 with Retry-After): a rate limit or a lock-out after repeated failed log-ins. */
export class TooManyRequestsError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
    this.name = 'TooManyRequestsError';
  }
}
