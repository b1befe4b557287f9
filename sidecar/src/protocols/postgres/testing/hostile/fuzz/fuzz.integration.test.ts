/**
 * The fuzzer in CI: 20,000 generated cases with a fixed seed (fuzz-run.ts). A longer run with
 * another seed: `make fuzz` (AIRLOCK_FUZZ_SEED, AIRLOCK_FUZZ_CASES).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from './fuzz-run.ts';

const SEED = 20_240_611;
const CASES = 20_000;

test(`${CASES} fuzz cases (seed ${SEED}): the sidecar lives, sessions work, nothing forbidden reaches the server`, {
  // A bound for a hung run, not a speed check: on a loaded 2-core machine the run takes 30–60 s.
  timeout: 300_000,
}, async (t) => {
  const report = await runFuzz({ seed: SEED, cases: CASES, log: (line) => t.diagnostic(line) });
  t.diagnostic(
    `${report.cases} cases on ${report.connections} connections in ${report.milliseconds} ms; ${report.statementsLogged} statements checked in the server log`,
  );
  assert.equal(report.cases, CASES);
  assert.ok(report.statementsLogged > CASES / 4, 'a good share of the cases reached the server, so the log check means something');
});
