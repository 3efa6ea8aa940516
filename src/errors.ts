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
