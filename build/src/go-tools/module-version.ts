import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError } from '../errors.ts';

/** The version of `module` that the wrapper module in `moduleDir` requires, e.g. v3.22.0. */
export function requiredVersion(moduleDir: string, module: string): string {
  const gomod = readFileSync(join(moduleDir, 'go.mod'), 'utf8');
  const match = new RegExp(`^require ${module.replaceAll('.', '\\.')} (v\\S+)`, 'm').exec(gomod);
  if (!match?.[1]) throw new BuildError('ToolchainModuleBroken', `${moduleDir}/go.mod does not require ${module}`);
  return match[1];
}
