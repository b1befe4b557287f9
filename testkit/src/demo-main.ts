/** `make demo`: starts the demo (demo.ts), prints what to type, stops everything on Ctrl-C. */
import { startDemo } from './demo.ts';

const log = (line: string) => process.stderr.write(`[demo] ${line}\n`);
let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
let stopping = false;
const stop = async (reason: string, code = 0) => {
  if (stopping) return;
  stopping = true;
  log(`${reason}: stopping`);
  await demo?.stop();
  log('stopped; nothing left behind');
  process.exit(code);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

try {
  demo = await startDemo(log);
  process.stdout.write(demo.instructions);
} catch (error) {
  log((error as Error).message);
  await stop('error', 1);
}
