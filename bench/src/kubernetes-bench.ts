/**
 * The Kubernetes API side by side, interleaved, in one run: the real kubectl and a raw Node client
 * straight at a real kube-apiserver ("direct") vs the same through the sidecar ("sidecar": policy
 * decision per request, recording, its own credential upstream) and through a sidecar whose Target
 * has `maskingProfile: strict` ("sidecar-masking": every answer parsed and scanned). The sidecars
 * run in processes of their own (kubernetes-sidecar-process.ts) so their CPU time is their own.
 * Per path and round:
 * - `kubectl get pods -n bench` (20 pods), one process per invocation: what an agent waits for;
 * - `kubectl get configmaps -n bench -o json --chunk-size=0`: 1,000 objects in one ~1 MiB answer;
 * - the same list as raw GETs on one kept-alive connection, which leaves kubectl's own cost out.
 * Every phase runs on all three paths before the next starts, in an order that rotates per round,
 * so load on the machine hits them alike. Writes its section of bench/RESULTS.md (between the
 * KUBERNETES markers), leaving the rest as it is.
 *
 * Usage: node bench/src/kubernetes-bench.ts [--rounds 3] [--invocations 30] [--lists 10] [--gets 30]
 *        [--out bench/RESULTS.md] [--profile DIR] (a `node --cpu-prof` profile of each sidecar, written
 *        when it exits; read it with `node bench/src/cpuprofile-top.ts <file>`)
 * Needs the control-plane binaries (`make binaries`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlPlane } from '@airlock/testkit';
import { RawListClient, runKubectl } from './kubernetes-bench-clients.ts';
import { BENCH_CONFIGMAP_COUNT, BENCH_CONTACT, BENCH_NAMESPACE, BENCH_POD_COUNT, seedBenchNamespace } from './kubernetes-bench-cluster.ts';
import {
  BENCH_PATHS,
  type BenchPath,
  type KubernetesMeasurements,
  renderSection,
  SIDECAR_PATHS,
  type SidecarPath,
  writeSection,
} from './kubernetes-bench-report.ts';
import type { KubernetesSidecarProcessConfig } from './kubernetes-sidecar-config.ts';
import { SidecarProcess } from './sidecar-process-handle.ts';
import type { SidecarStats } from './sidecar-process-protocol.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');

const GET_PODS = ['get', 'pods', '-n', BENCH_NAMESPACE];
const LIST_CONFIGMAPS = ['get', 'configmaps', '-n', BENCH_NAMESPACE, '-o', 'json', '--chunk-size=0'];
const CONFIGMAPS_PATH = `/api/v1/namespaces/${BENCH_NAMESPACE}/configmaps`;

interface Options {
  readonly rounds: number;
  readonly invocations: number;
  readonly lists: number;
  readonly gets: number;
  readonly out: string;
  readonly profile: string | undefined;
}

function parseOptions(argv: readonly string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const count = (name: string, fallback: number): number => {
    const value = Number(get(name) ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number of at least 1, not ${get(name)}`);
    return value;
  };
  return {
    rounds: count('rounds', 3),
    invocations: count('invocations', 30),
    lists: count('lists', 10),
    gets: count('gets', 30),
    out: resolve(get('out') ?? join(REPO, 'bench/RESULTS.md')),
    profile: get('profile'),
  };
}

const log = (message: string): void => void process.stderr.write(`[kubernetes-bench] ${message}\n`);
const cpuUs = (before: SidecarStats, after: SidecarStats): number => after.userUs - before.userUs + (after.systemUs - before.systemUs);
const byPath = <T>(make: () => T): Record<BenchPath, T> => ({ direct: make(), sidecar: make(), 'sidecar-masking': make() });
const bySidecar = <T>(make: () => T): Record<SidecarPath, T> => ({ sidecar: make(), 'sidecar-masking': make() });
/** Round r runs the paths starting at the r-th: direct first, then sidecar first, then sidecar-masking first. */
const orderFor = (round: number): BenchPath[] => BENCH_PATHS.map((_, i) => BENCH_PATHS[(round + i) % BENCH_PATHS.length] as BenchPath);

/** One way to the API server: the kubeconfig kubectl reads and the raw client. */
interface BenchWay {
  readonly kubeconfig: string;
  readonly raw: RawListClient;
  readonly sidecar?: SidecarProcess;
}

interface ListBody {
  readonly items?: readonly { readonly data?: Readonly<Record<string, string>> }[];
}

/**
 * One unmeasured pass per path that also checks the answers: every path must see the 20 pods and
 * 1,000 ConfigMaps, the contact address must be masked through sidecar-masking and only there, and
 * a write must be refused through the sidecar (the policy really decides). A benchmark of wrong
 * answers measures nothing, so a failed check stops the run and says what was seen.
 */
async function warmUpAndCheck(kubectl: string, cacheDir: string, ways: Record<BenchPath, BenchWay>): Promise<void> {
  for (const path of BENCH_PATHS) {
    const way = ways[path];
    for (let i = 0; i < 3; i++) await runKubectl(kubectl, way.kubeconfig, cacheDir, GET_PODS);
    const pods = await runKubectl(kubectl, way.kubeconfig, cacheDir, GET_PODS, true);
    const podLines = pods.stdout.trim().split('\n').length - 1;
    if (podLines !== BENCH_POD_COUNT)
      throw new Error(`${path}: kubectl get pods printed ${podLines} pods, not ${BENCH_POD_COUNT}:\n${pods.stdout}`);
    const list = await runKubectl(kubectl, way.kubeconfig, cacheDir, LIST_CONFIGMAPS, true);
    const items = (JSON.parse(list.stdout) as ListBody).items ?? [];
    if (items.length < BENCH_CONFIGMAP_COUNT)
      throw new Error(`${path}: kubectl listed ${items.length} ConfigMaps, not ${BENCH_CONFIGMAP_COUNT}`);
    const contactShown = list.stdout.includes(BENCH_CONTACT);
    if (contactShown === (path === 'sidecar-masking')) {
      throw new Error(`${path}: the contact address ${BENCH_CONTACT} was ${contactShown ? 'shown' : 'not shown'} in the list`);
    }
    for (let i = 0; i < 3; i++) {
      const raw = await way.raw.get(CONFIGMAPS_PATH);
      const rawItems = (JSON.parse(raw.body.toString('utf8')) as ListBody).items ?? [];
      if (rawItems.length < BENCH_CONFIGMAP_COUNT) throw new Error(`${path}: the raw GET listed ${rawItems.length} ConfigMaps`);
    }
    if (path !== 'direct') {
      const write = await runKubectl(kubectl, way.kubeconfig, cacheDir, ['create', 'configmap', 'bench-write', '-n', BENCH_NAMESPACE]).then(
        () => undefined,
        (error: Error) => error.message,
      );
      if (write === undefined || !write.includes('airlock: denied'))
        throw new Error(`${path}: a write was not refused: ${write ?? 'kubectl create succeeded'}`);
    }
  }
}

async function measure(
  kubectl: string,
  cacheDir: string,
  ways: Record<BenchPath, BenchWay>,
  options: Options,
): Promise<KubernetesMeasurements> {
  const m: KubernetesMeasurements = {
    getPods: byPath(() => []),
    kubectlList: byPath(() => []),
    rawList: byPath(() => []),
    rawListMBps: byPath(() => []),
    listBytes: byPath(() => 0),
    freshConnections: byPath(() => 0),
    cpuPerGetPods: bySidecar(() => []),
    cpuPerKubectlList: bySidecar(() => []),
    cpuPerRawList: bySidecar(() => []),
    rss: bySidecar(() => ({ idle: 0, after: 0 })),
  };
  /** Runs `count` timed operations on one path; the sidecar's CPU per operation goes to `cpu`. */
  const phase = async (path: BenchPath, count: number, cpu: Record<SidecarPath, number[]>, once: () => Promise<void>): Promise<void> => {
    const sidecar = ways[path].sidecar;
    const before = await sidecar?.stats();
    for (let i = 0; i < count; i++) await once();
    const after = await sidecar?.stats();
    if (path !== 'direct' && before && after) cpu[path].push(cpuUs(before, after) / count);
  };
  for (let round = 0; round < options.rounds; round++) {
    const order = orderFor(round);
    log(`round ${round + 1}/${options.rounds}: ${order.join(', ')}`);
    for (const path of order) {
      await phase(path, options.invocations, m.cpuPerGetPods, async () => {
        m.getPods[path].push((await runKubectl(kubectl, ways[path].kubeconfig, cacheDir, GET_PODS)).ms);
      });
    }
    for (const path of order) {
      await phase(path, options.lists, m.cpuPerKubectlList, async () => {
        m.kubectlList[path].push((await runKubectl(kubectl, ways[path].kubeconfig, cacheDir, LIST_CONFIGMAPS)).ms);
      });
    }
    for (const path of order) {
      await phase(path, options.gets, m.cpuPerRawList, async () => {
        const got = await ways[path].raw.get(CONFIGMAPS_PATH);
        m.rawList[path].push(got.ms);
        m.rawListMBps[path].push(got.bytes / 1e6 / (got.ms / 1000));
        m.listBytes[path] = got.bytes;
        if (!got.reusedConnection) m.freshConnections[path]++;
      });
    }
  }
  return m;
}

function kubectlVersion(kubectl: string): string {
  const result = spawnSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  return (JSON.parse(result.stdout || '{}') as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? 'unknown';
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const command = `node ${relative(REPO, fileURLToPath(import.meta.url))} ${process.argv.slice(2).join(' ')}`.trim();
  const work = mkdtempSync(join(tmpdir(), 'airlock-kubernetes-bench-'));
  let plane: ControlPlane | undefined;
  const sidecars: SidecarProcess[] = [];
  const rawClients: RawListClient[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> => {
    cleaning ??= (async () => {
      for (const client of rawClients) client.close();
      for (const sidecar of sidecars) await sidecar.stop().catch(() => undefined);
      await plane?.stop().catch((error: unknown) => log(`stopping the control plane: ${String(error)}`));
      rmSync(work, { recursive: true, force: true });
    })();
    return cleaning;
  };
  const interrupted = (signal: NodeJS.Signals): void => {
    log(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    log('starting the control plane');
    plane = await ControlPlane.start({ controllers: false });
    const kubectl = plane.binaries.kubectl;
    log(`creating ${BENCH_POD_COUNT} pods and ${BENCH_CONFIGMAP_COUNT} ConfigMaps in namespace ${BENCH_NAMESPACE}`);
    await seedBenchNamespace(plane, work);

    const nodeArgs = options.profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(options.profile)] : [];
    const started: Partial<Record<SidecarPath, { process: SidecarProcess; kubeconfig: string; idleRss: number }>> = {};
    for (const path of SIDECAR_PATHS) {
      log(`starting ${path}`);
      const configDir = join(work, `config-${path}`);
      mkdirSync(configDir, { mode: 0o700 });
      const config: KubernetesSidecarProcessConfig = {
        server: plane.server,
        caBundle: plane.caPem,
        token: plane.token('admin'),
        maskingProfile: path === 'sidecar-masking' ? 'strict' : 'none',
        configDir,
      };
      const sidecar = await SidecarProcess.start(join(HERE, 'kubernetes-sidecar-process.ts'), path, config, nodeArgs);
      sidecars.push(sidecar);
      started[path] = { process: sidecar, kubeconfig: join(configDir, 'kubeconfig'), idleRss: (await sidecar.stats()).rss };
    }
    const sidecarWay = (path: SidecarPath): BenchWay => {
      const s = started[path];
      if (!s) throw new Error(`${path} did not start`);
      const raw = new RawListClient({ kind: 'http', base: `http://127.0.0.1:${s.process.port}` });
      rawClients.push(raw);
      return { kubeconfig: s.kubeconfig, raw, sidecar: s.process };
    };
    const directRaw = new RawListClient({ kind: 'https', base: plane.server, caPem: plane.caPem, token: plane.token('admin') });
    rawClients.push(directRaw);
    const ways: Record<BenchPath, BenchWay> = {
      direct: { kubeconfig: plane.kubeconfigPath('admin'), raw: directRaw },
      sidecar: sidecarWay('sidecar'),
      'sidecar-masking': sidecarWay('sidecar-masking'),
    };
    const cacheDir = join(work, 'kube-cache');

    log('warming up and checking the answers on every path');
    await warmUpAndCheck(kubectl, cacheDir, ways);
    const m = await measure(kubectl, cacheDir, ways, options);
    for (const path of SIDECAR_PATHS) {
      const s = started[path];
      if (s) m.rss[path] = { idle: s.idleRss, after: (await s.process.stats()).rss };
    }
    const apiServer = JSON.parse((await directRaw.get('/version')).body.toString('utf8')) as { gitVersion?: string };
    const section = renderSection(m, {
      command,
      date: new Date().toISOString(),
      rounds: options.rounds,
      invocations: options.invocations,
      lists: options.lists,
      gets: options.gets,
      nproc: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      node: process.version,
      kubectl: kubectlVersion(kubectl),
      apiServer: apiServer.gitVersion ?? 'unknown',
      loadAtEnd: loadavg()
        .map((l) => l.toFixed(2))
        .join(' '),
    });
    process.stdout.write(`${section}\n`);
    writeSection(options.out, section);
    log(`wrote the Kubernetes section of ${relative(REPO, options.out)}`);
  } finally {
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`kubernetes-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
