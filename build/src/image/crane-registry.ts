/**
 * An in-memory registry on loopback (`crane registry serve`) for the length of one build: crane
 * assembles and edits images in a registry, and this one lives only in the process's memory. It
 * is stopped after the build, also when the build fails, and dies with the build process when
 * that is killed (setpriv's parent-death signal).
 */
import { spawn } from 'node:child_process';
import { BuildError } from '../errors.ts';
import { tryRun } from '../run-command.ts';

export interface LoopbackRegistry {
  /** host:port */
  readonly address: string;
  stop(): Promise<void>;
}

const STARTUP_MS = 15_000;

export async function startRegistry(crane: string, env: NodeJS.ProcessEnv): Promise<LoopbackRegistry> {
  const serve = [crane, 'registry', 'serve', '--address', '127.0.0.1:0'];
  const withParentDeath = tryRun('setpriv', ['--help']).status === 0 ? ['setpriv', '--pdeathsig', 'KILL', '--', ...serve] : serve;
  const [command, ...args] = withParentDeath as [string, ...string[]];
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  };
  let stderr = '';
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new BuildError('RegistryFailed', `crane registry serve printed no port within ${STARTUP_MS / 1000}s:\n${stderr}`)),
        STARTUP_MS,
      );
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        const port = /serving on port (\d+)/.exec(stderr)?.[1];
        if (port) {
          clearTimeout(timer);
          resolve(port);
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new BuildError('RegistryFailed', `could not start crane registry serve: ${error.message}`, { cause: error }));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new BuildError('RegistryFailed', `crane registry serve exited (${code}) before serving:\n${stderr}`));
      });
    });
    // Keep reading so a chatty registry never blocks on a full pipe.
    child.stderr.resume();
    return { address: `127.0.0.1:${port}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
