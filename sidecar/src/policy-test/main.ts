#!/usr/bin/env node
/**
 * airlock-policy-test: checks ApprovalPolicies against expected decisions, without a cluster
 * (docs/policy-testing.md). Exit status 0 all passed, 1 a case failed, 2 invalid input, 3 a bug.
 */
import { policyTest } from './command.ts';

// A closed pipe (airlock-policy-test ... | head) ends the output, not the run with an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await policyTest(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
