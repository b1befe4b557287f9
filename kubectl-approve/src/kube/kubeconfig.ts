/**
 * Which cluster, user and namespace, the way kubectl decides: --kubeconfig, else every file in
 * $KUBECONFIG merged (the first file to name a cluster, user, context or current-context wins;
 * missing files are skipped), else ~/.kube/config; then --context, then the namespace from -n,
 * the context, or `default`. File parsing and credentials are @kubernetes/client-node's.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ApproveError } from '../errors.ts';

export interface ConnectionFlags {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  readonly namespace?: string | undefined;
}

export interface Connection {
  readonly kubeConfig: KubeConfig;
  /** -n, else the context's namespace, else default. */
  readonly namespace: string;
  readonly context: string;
}

export function loadConnection(flags: ConnectionFlags, env: Readonly<Record<string, string | undefined>>): Connection {
  const files = kubeconfigFiles(flags, env);
  if (files.length === 0) {
    throw new ApproveError(
      'Unreachable',
      'no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config (kubectl approve uses the same as kubectl)',
    );
  }
  const merged = new KubeConfig();
  const options: Parameters<KubeConfig['loadFromOptions']>[0] = { clusters: [], users: [], contexts: [], currentContext: '' };
  /** The first file to name one wins, as in kubectl. */
  const addNew = <T extends { name: string }>(into: T[], from: readonly T[]) => {
    for (const item of from) if (!into.some((known) => known.name === item.name)) into.push(item);
  };
  for (const file of files) {
    const one = new KubeConfig();
    try {
      one.loadFromFile(file);
    } catch (error) {
      throw new ApproveError('Unreachable', `cannot read the kubeconfig ${file}: ${(error as Error).message}`, { cause: error });
    }
    addNew(options.clusters, one.getClusters());
    addNew(options.users, one.getUsers());
    addNew(options.contexts, one.getContexts());
    if (!options.currentContext && one.getCurrentContext()) options.currentContext = one.getCurrentContext();
  }
  merged.loadFromOptions(options);
  if (flags.context !== undefined) {
    if (!merged.getContextObject(flags.context)) {
      throw new ApproveError(
        'Usage',
        `context ${flags.context} is not in the kubeconfig (${files.join(delimiter)}); it has: ${merged
          .getContexts()
          .map((c) => c.name)
          .join(', ')}`,
      );
    }
    merged.setCurrentContext(flags.context);
  }
  const context = merged.getContextObject(merged.getCurrentContext());
  if (!context) {
    throw new ApproveError('Unreachable', `the kubeconfig (${files.join(delimiter)}) has no current context: pass --context NAME`);
  }
  if (!merged.getCurrentCluster())
    throw new ApproveError('Unreachable', `context ${context.name} names cluster ${context.cluster}, which the kubeconfig does not have`);
  return { kubeConfig: merged, namespace: flags.namespace || context.namespace || 'default', context: context.name };
}

function kubeconfigFiles(flags: ConnectionFlags, env: Readonly<Record<string, string | undefined>>): string[] {
  if (flags.kubeconfig) {
    if (!existsSync(flags.kubeconfig)) throw new ApproveError('Usage', `--kubeconfig ${flags.kubeconfig}: no such file`);
    return [flags.kubeconfig];
  }
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter((f) => f !== '' && existsSync(f));
  const home = env.HOME ?? env.USERPROFILE;
  const fallback = home ? join(home, '.kube', 'config') : undefined;
  return fallback && existsSync(fallback) ? [fallback] : [];
}
