/** `make binaries`: builds (first time) or finds the control-plane and node binaries, helm, crane and coredns, and prints them. */
import { controlPlaneBinaries, nodeBinaries } from './control-plane.ts';
import { corednsBinary } from './coredns.ts';
import { craneBinary } from './crane.ts';
import { helmBinary } from './helm.ts';

const log = (line: string) => process.stderr.write(`[binaries] ${line}\n`);
const binaries = {
  ...(await controlPlaneBinaries(log)),
  ...(await nodeBinaries(log)),
  helm: await helmBinary(log),
  crane: await craneBinary(log),
  coredns: await corednsBinary(log),
};
for (const [name, path] of Object.entries(binaries)) process.stdout.write(`${name.padEnd(22)} ${path}\n`);
