/** Errors of the build tools: a stable code and a message that says what to do. */
export class BuildError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BuildError';
    this.code = code;
  }
}
