/**
 * `make demo`: starts the demo (demo.ts; AIRLOCK_DEMO=processes for the mode without a node),
 * prints what to type, stops everything on Ctrl-C — also during the start-up, after the step
 * under way.
 */
import { type Demo, startDemo } from './demo.ts';

const log = (line: string) => process.stderr.write(`[demo] ${line}\n`);
const starting = new AbortController();
let demo: Demo | undefined;
let stopping = false;
const stop = async (reason: string, code = 0) => {
  if (stopping) return;
  stopping = true;
  log(`${reason}: stopping`);
  try {
    await demo?.stop();
    log('stopped; nothing left behind');
  } catch (error) {
    log((error as Error).message);
    code = 1;
  }
  process.exit(code);
};
const interrupt = (signal: string) => {
  // While starting, startDemo stops what it started and throws; the catch below exits.
  if (!demo) {
    if (starting.signal.aborted) {
      // A second one: the harness's watchdogs stop what was started (and put the machine back) when this process is gone.
      log(`${signal} again: exiting now; the watchdogs stop what was started`);
      process.exit(130);
    }
    log(`${signal}: stopping after the step under way (again to exit now)`);
    starting.abort();
    return;
  }
  void stop(signal);
};
process.on('SIGINT', () => interrupt('SIGINT'));
process.on('SIGTERM', () => interrupt('SIGTERM'));

try {
  demo = await startDemo(log, { requested: process.env.AIRLOCK_DEMO, signal: starting.signal });
  process.stdout.write(demo.instructions);
} catch (error) {
  if (starting.signal.aborted && error === starting.signal.reason) {
    log('stopped; nothing left behind');
    process.exit(0);
  }
  log((error as Error).message);
  process.exit(1);
}
