/**
 * `node operator/src/main.ts [flags]`: runs one operator replica. In a cluster every flag has a
 * default that fits the Helm chart (in-cluster config, Service DNS names); a local run passes a
 * kubeconfig and 127.0.0.1. Exit codes: 0 after a clean stop (SIGTERM/SIGINT), 2 for invalid
 * flags, 1 when it cannot start.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { OPERATOR_SERVICE } from '@airlock/contracts/install';
import { createLogger } from '@airlock/runtime';
import { KubeConfig } from '@kubernetes/client-node';
import operatorPackage from '../package.json' with { type: 'json' };
import { startOperator } from './operator.ts';
import { DEFAULT_SIDECAR_RESOURCES, type SidecarResources } from './webhooks/injection-settings.ts';
import { memoryBytes } from './webhooks/memory-quantity.ts';

const VERSION = operatorPackage.version;
/** One image runs the operator and the injected sidecar (make image; docs/adr/0016-image-without-a-daemon.md). */
const DEFAULT_SIDECAR_IMAGE = `airlock/airlock:${VERSION}`;

const USAGE = `usage: airlock-operator [flags]
  --kubeconfig FILE          kubeconfig (default: in-cluster, then $KUBECONFIG)
  --namespace NS             the operator's namespace (default: $POD_NAMESPACE or airlock-system)
  --identity NAME            this replica in the leader Lease (default: $POD_NAME or the host name)
  --host ADDR                listen address for webhook, broker and health (default 0.0.0.0)
  --webhook-port N           admission webhooks, HTTPS (default 9443)
  --broker-port N            the broker sidecars talk to, HTTPS (default 8443)
  --health-port N            /healthz /readyz /metrics, HTTP (default 8080)
  --service NAME             the operator's Service, for certificate names (default airlock-operator)
  --dns-name NAME            extra certificate DNS name (repeatable)
  --ip-address IP            certificate IP address (repeatable)
  --broker-url URL           what injected sidecars use (default https://<service>.<namespace>.svc:8443)
  --sidecar-image IMAGE      the sidecar image (default ${DEFAULT_SIDECAR_IMAGE}, the operator's own image)
  --sidecar-command ARGS     replaces the sidecar command, space-separated; keep the Node flags of the default
                             (default node --liftoff-only --max-semi-space-size=8 --max-old-space-size=<limit/2>
                             /app/sidecar/src/main.ts --broker)
  --sidecar-memory-limit Q   the injected sidecar's memory limit, a Kubernetes quantity (default 256Mi)
  --sidecar-memory-request Q the injected sidecar's memory request (default 128Mi)
  --sidecar-cpu-request Q    the injected sidecar's CPU request (default 50m)
  --recordings DIR           where session recordings are stored (default /var/lib/airlock/recordings)
  --retention DURATION       how long finished ApprovalRequests are kept, e.g. 24h (default 24h)
  --cert-validity DURATION   serving certificate lifetime (default 2160h)
  --cert-renew-before DURATION renew this long before expiry (default 720h)
  --lease-duration SECONDS   leader lease duration (default 15)
  --log-level LEVEL          (default info)
  --version                  print the version and exit
  -h, --help                 print this and exit
`;

function duration(text: string, flag: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!match) throw new UsageError(`${flag}: "${text}" is not a duration like 30s, 15m or 24h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

function port(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new UsageError(`${flag}: "${text}" is not a port number`);
  return value;
}

class UsageError extends Error {}

/** The injected sidecar's resources from the flags over the defaults; the limit must hold the request. */
function sidecarResources(values: { memoryLimit?: string; memoryRequest?: string; cpuRequest?: string }): SidecarResources {
  const limit = values.memoryLimit ?? DEFAULT_SIDECAR_RESOURCES.limits?.memory ?? '256Mi';
  const request = values.memoryRequest ?? DEFAULT_SIDECAR_RESOURCES.requests?.memory ?? '128Mi';
  const cpu = values.cpuRequest ?? DEFAULT_SIDECAR_RESOURCES.requests?.cpu ?? '50m';
  const limitBytes = memoryBytes(limit);
  const requestBytes = memoryBytes(request);
  if (limitBytes === undefined) throw new UsageError(`--sidecar-memory-limit: "${limit}" is not a memory quantity like 256Mi`);
  if (requestBytes === undefined) throw new UsageError(`--sidecar-memory-request: "${request}" is not a memory quantity like 128Mi`);
  if (requestBytes > limitBytes) throw new UsageError(`--sidecar-memory-request ${request} is above --sidecar-memory-limit ${limit}`);
  if (!/^\d+(\.\d+)?m?$/.test(cpu)) throw new UsageError(`--sidecar-cpu-request: "${cpu}" is not a CPU quantity like 50m`);
  return { requests: { cpu, memory: request }, limits: { memory: limit } };
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed === 'version') {
    process.stdout.write(`airlock-operator ${VERSION}\n`);
    return 0;
  }
  const logger = createLogger({ level: parsed.logLevel as 'info', base: { component: 'airlock-operator' } });
  // Listen before starting: in a container the operator is PID 1, which ignores a signal it has no
  // handler for, so a SIGTERM during a start-up that waits for the API server would be lost.
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  const started = await Promise.race([startOperator({ ...parsed.options, logger }), stop]);
  if (typeof started === 'string') {
    // Not ready yet: no request was admitted and no lease is worth handing over; the start-up's
    // retries would keep the process alive, so leave now.
    logger.info({ signal: started }, 'stopping before start-up finished');
    process.exit(0);
  }
  const operator = started;
  logger.info({ ports: operator.ports }, 'airlock operator ready');
  const signal = await stop;
  logger.info({ signal }, 'stopping');
  await operator.close();
  return 0;
}

function parse() {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      identity: { type: 'string' },
      host: { type: 'string' },
      'webhook-port': { type: 'string' },
      'broker-port': { type: 'string' },
      'health-port': { type: 'string' },
      service: { type: 'string' },
      'dns-name': { type: 'string', multiple: true },
      'ip-address': { type: 'string', multiple: true },
      'broker-url': { type: 'string' },
      'sidecar-image': { type: 'string' },
      'sidecar-command': { type: 'string' },
      'sidecar-memory-limit': { type: 'string' },
      'sidecar-memory-request': { type: 'string' },
      'sidecar-cpu-request': { type: 'string' },
      recordings: { type: 'string' },
      retention: { type: 'string' },
      'cert-validity': { type: 'string' },
      'cert-renew-before': { type: 'string' },
      'lease-duration': { type: 'string' },
      'log-level': { type: 'string' },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help' as const;
  if (values.version) return 'version' as const;
  const namespace = values.namespace ?? process.env.POD_NAMESPACE ?? 'airlock-system';
  const service = values.service ?? OPERATOR_SERVICE;
  const brokerPort = port(values['broker-port'], 8443, '--broker-port');
  const retentionMs = duration(values.retention ?? '24h', '--retention');
  const resources = sidecarResources({
    ...(values['sidecar-memory-limit'] ? { memoryLimit: values['sidecar-memory-limit'] } : {}),
    ...(values['sidecar-memory-request'] ? { memoryRequest: values['sidecar-memory-request'] } : {}),
    ...(values['sidecar-cpu-request'] ? { cpuRequest: values['sidecar-cpu-request'] } : {}),
  });
  const kubeConfig = new KubeConfig();
  try {
    if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    throw new UsageError(`--kubeconfig: cannot load ${values.kubeconfig ?? 'the default kubeconfig'}: ${(error as Error).message}`);
  }
  return {
    logLevel: values['log-level'] ?? 'info',
    options: {
      kubeConfig,
      namespace,
      identity: values.identity ?? process.env.POD_NAME ?? hostname(),
      host: values.host ?? '0.0.0.0',
      ports: {
        webhook: port(values['webhook-port'], 9443, '--webhook-port'),
        broker: brokerPort,
        health: port(values['health-port'], 8080, '--health-port'),
      },
      tls: {
        secretName: 'airlock-webhook-tls',
        dnsNames: [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, ...(values['dns-name'] ?? [])],
        ipAddresses: values['ip-address'] ?? [],
        webhookConfigurationNames: ['airlock'],
        ...(values['cert-validity'] ? { certValiditySeconds: duration(values['cert-validity'], '--cert-validity') / 1000 } : {}),
        ...(values['cert-renew-before'] ? { renewBeforeSeconds: duration(values['cert-renew-before'], '--cert-renew-before') / 1000 } : {}),
      },
      injection: {
        image: values['sidecar-image'] ?? DEFAULT_SIDECAR_IMAGE,
        ...(values['sidecar-command'] ? { command: values['sidecar-command'].split(' ').filter(Boolean) } : {}),
        resources,
        brokerURL: values['broker-url'] ?? `https://${service}.${namespace}.svc:${brokerPort}`,
        logLevel: values['log-level'] ?? 'info',
      },
      recordingsDirectory: values.recordings ?? '/var/lib/airlock/recordings',
      retentionMs,
      leaseName: 'airlock-operator',
      ...(values['lease-duration'] ? { leaseDurationSeconds: Number(values['lease-duration']) } : {}),
    },
  };
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`airlock operator failed: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  },
);
