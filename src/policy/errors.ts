/** A problem in a policy pack: which file, which path in it, what is wrong. */
export interface PackProblem {
  file: string;
  path: string;
  message: string;
}

export class PackError extends Error {
  constructor(readonly problems: PackProblem[]) {
    super(problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join('\n'));
    this.name = 'PackError';
  }
}

/** Two rules claim the same case and neither is declared the exception of the other. */
export class RuleConflictError extends Error {
  constructor(
    readonly pack: string,
    readonly group: string,
    readonly rules: string[],
    detail: string,
  ) {
    super(`${pack}: rules.${group}: ${rules.join(' and ')} both apply ${detail} and neither is declared the exception (exceptionTo) of the other`);
    this.name = 'RuleConflictError';
  }
}
