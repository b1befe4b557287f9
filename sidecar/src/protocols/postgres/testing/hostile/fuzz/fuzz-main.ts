/**
 * `make fuzz`: a longer fuzz run. AIRLOCK_FUZZ_SEED (default: from the clock, printed) and
 * AIRLOCK_FUZZ_CASES (default 200,000). Exits 1 with the seed on the first failed check.
 */
import { runFuzz } from './fuzz-run.ts';

const seed = Number(process.env.AIRLOCK_FUZZ_SEED ?? Date.now() % 2 ** 31);
const cases = Number(process.env.AIRLOCK_FUZZ_CASES ?? 200_000);
if (!Number.isInteger(seed) || !Number.isInteger(cases) || cases <= 0) {
  process.stderr.write('AIRLOCK_FUZZ_SEED and AIRLOCK_FUZZ_CASES must be integers (cases > 0)\n');
  process.exit(2);
}
process.stdout.write(`fuzzing ${cases} cases with seed ${seed} (AIRLOCK_FUZZ_SEED=${seed} reproduces this run)\n`);
try {
  const report = await runFuzz({ seed, cases, batchSize: 500, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${JSON.stringify(report)}\n`);
} catch (error) {
  process.stderr.write(`fuzzing failed (AIRLOCK_FUZZ_SEED=${seed}): ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
