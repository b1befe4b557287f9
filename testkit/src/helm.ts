/**
 * The real helm, with its config, cache and data in a directory of the caller (never the user's
 * own), and the chart of this checkout.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { helmBinary } from '@airlock/build';
import { REPO_ROOT } from './airlock-processes.ts';

export const CHART_DIR = join(REPO_ROOT, 'charts', 'airlock');

export interface HelmResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface HelmOptions {
  /** Holds helm's config, cache and data. */
  readonly home: string;
  /** For commands that talk to a cluster. */
  readonly kubeconfig?: string;
  readonly log?: (line: string) => void;
}

export async function runHelm(args: readonly string[], options: HelmOptions): Promise<HelmResult> {
  const helm = await helmBinary(options.log);
  mkdirSync(options.home, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: options.home,
    HELM_CACHE_HOME: join(options.home, 'cache'),
    HELM_CONFIG_HOME: join(options.home, 'config'),
    HELM_DATA_HOME: join(options.home, 'data'),
    ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(helm, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
