/**
 * The policy test command's one error class and its exit statuses, which CI relies on: 0 every
 * case passed, 1 a case did not get the decision it expects, 2 the input is wrong (flags, a test
 * file, a policy) and nothing was run, 3 the command itself failed (a bug, not a verdict). Input
 * problems name the file, the YAML document and line, and the field, so an author can go
 * straight to it.
 */

export const EXIT_CODES = {
  /** Every case got the decision it expects. */
  Passed: 0,
  /** At least one case got another decision, policy or rule than it expects. */
  Failed: 1,
  /** Wrong flags, or a test file or policy file that is not valid: nothing was run. */
  Invalid: 2,
  /** Something unexpected: a bug in the command, never a verdict on the policies. */
  Internal: 3,
} as const;

export type InputProblemCode =
  /** A file or directory named on the command line or under `files:` cannot be read. */
  | 'UnreadableFile'
  /** The text is not YAML. */
  | 'InvalidYaml'
  /** A test document does not follow the PolicyTest format. */
  | 'InvalidTestFile'
  /** An ApprovalPolicy, Target or AgentIdentity fails the CRD validation (what the API server would refuse). */
  | 'InvalidObject'
  /** An ApprovalPolicy is valid but its rules or masking do not compile: the operator would not serve it. */
  | 'PolicyDoesNotCompile'
  /** Two objects of one kind with the same namespace and name. */
  | 'DuplicateObject'
  /** The files of a test hold no ApprovalPolicy. */
  | 'NoPolicies'
  /** A test names a Target, AgentIdentity, policy or rule that the files do not have, or a Target of the wrong type. */
  | 'UnknownReference'
  /** A case no session can be: a delegation depth the AgentIdentity does not allow. */
  | 'ImpossibleCase';

/** One problem in the input, and where it is. */
export interface InputProblem {
  readonly code: InputProblemCode;
  readonly file: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
  /** 1-based index of the YAML document in the file, when the file has documents. */
  readonly document?: number;
  /** The object the problem is in: `ApprovalPolicy agents/prod-databases`. */
  readonly object?: string;
  /** Dotted path of the field: `spec.rules[0].action`, `cases[2].expect`. */
  readonly field?: string;
  /** What is wrong and what to do. */
  readonly message: string;
}

export type PolicyTestErrorCode =
  /** Wrong flags or arguments. */
  | 'Usage'
  /** One or more input problems; `problems` lists them all. */
  | 'InvalidInput';

export class PolicyTestError extends Error {
  readonly code: PolicyTestErrorCode;
  readonly problems: readonly InputProblem[];
  readonly exitCode: number = EXIT_CODES.Invalid;

  constructor(code: PolicyTestErrorCode, message: string, problems: readonly InputProblem[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PolicyTestError';
    this.code = code;
    this.problems = problems;
  }

  static invalidInput(problems: readonly InputProblem[]): PolicyTestError {
    const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
    return new PolicyTestError(
      'InvalidInput',
      `the input has ${count}; nothing was run:\n${problems.map(describeProblem).join('\n')}`,
      problems,
    );
  }
}

/** `policy.yaml:14: document 2 (ApprovalPolicy agents/p): spec.rules[0].action: must be one of ...` */
export function describeProblem(problem: InputProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  const documentPart =
    problem.document === undefined
      ? problem.object
      : `document ${problem.document}${problem.object === undefined ? '' : ` (${problem.object})`}`;
  return [where, documentPart, problem.field, problem.message].filter((part) => part !== undefined && part !== '').join(': ');
}
