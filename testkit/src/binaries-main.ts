/** `make binaries`: builds (first time) or finds the control-plane binaries and helm, and prints them. */
import { controlPlaneBinaries, helmBinary } from './binaries.ts';

const log = (line: string) => process.stderr.write(`[binaries] ${line}\n`);
const binaries = { ...(await controlPlaneBinaries(log)), helm: await helmBinary(log) };
for (const [name, path] of Object.entries(binaries)) process.stdout.write(`${name.padEnd(22)} ${path}\n`);
