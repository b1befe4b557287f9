/** The kubectl-approve executable: process state in, exit status out. */
import { run } from './cli/run.ts';

const abort = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort.abort());
// A closed pipe (kubectl approve list | head) ends the output, not the reviewer's day.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// No top-level await: the single-file bundle is CommonJS, which runs wherever it is copied.
void run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  now: () => new Date(),
  signal: abort.signal,
}).then((code) => {
  process.exitCode = code;
  // Watches and keep-alive sockets must not hold the process open once the command is done.
  process.stdout.write('', () => process.exit(code));
});
