import { existsSync } from 'node:fs';
import { BuildError } from '../errors.ts';

/**
 * The binary an environment variable points at (a tool you already have), or undefined when it is
 * not set; an error naming the variable when it points at nothing.
 */
export function givenBinary(variable: string, tool: string, code: string): string | undefined {
  const given = process.env[variable];
  if (!given) return undefined;
  if (!existsSync(given)) {
    throw new BuildError(code, `${variable}=${given} does not exist; point it at a ${tool} binary, or unset it to build ${tool} with Go`);
  }
  return given;
}
