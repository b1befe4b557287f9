/** `make binaries`: builds (first time) or finds the control-plane binaries and prints them. */
import { controlPlaneBinaries } from './binaries.ts';

const binaries = await controlPlaneBinaries((line) => process.stderr.write(`[binaries] ${line}\n`));
for (const [name, path] of Object.entries(binaries)) process.stdout.write(`${name.padEnd(22)} ${path}\n`);
