/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`, e.g. `run.ts --profile dir`): self time per
 * function and per source file, top N. Usage: node bench/src/cpuprofile-top.ts file.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const file = process.argv[2];
if (!file) throw new Error('usage: cpuprofile-top.ts file.cpuprofile [N]');
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map<number, number>();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const [id, count] of hits) {
  const node = byId.get(id);
  if (!node) continue;
  const url = node.callFrame.url.replace(/^file:\/\/.*?\/(sidecar|e2e|bench|node_modules)\//, '$1/');
  const fn = `${node.callFrame.functionName || '(anonymous)'} ${url}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + count);
  const f = url || `(${node.callFrame.functionName})`;
  byFile.set(f, (byFile.get(f) ?? 0) + count);
}
const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title} (${total} samples)\n`);
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
    process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}\n`);
};
print('self time by file', byFile);
print('self time by function', byFunction);
