/**
 * The operator's own TLS: a CA and a serving certificate (webhooks, broker) kept in a Secret
 * shared by every replica, the CA published as caBundle in the webhook configurations, and
 * renewal on a timer set for the moment certificate-plan.ts says something is due.
 *
 * Replicas coordinate through the Secret alone: each one reads it, and writes only with the
 * resourceVersion it read; the one that loses the race (AlreadyExists, Conflict) reads again and
 * adopts what the winner wrote. Everything is re-read from the API server when a timer fires, so
 * a replica also adopts certificates another replica renewed.
 */

import { type Backoff, cappedDelay } from '@airlock/runtime';
import {
  createCertificateAuthority,
  describeCertificate,
  issueServingCertificate,
  type KeyAndCertificate,
  normalizeIp,
} from '@airlock/runtime/pki';
import type { Logger } from 'pino';
import { isAlreadyExists, isConflict, isNotFound, KubeApiError, type KubeClient, type KubeObject } from '../kube/client.ts';
import { KINDS } from '../kube/kinds.ts';
import {
  type CertificatePolicy,
  type CertificateStep,
  desiredTrust,
  nextCheckAt,
  planCertificates,
  policyProblem,
} from './certificate-plan.ts';
import { decodeSecret, encodeSecret, type StoredCertificates, type TlsSecret, viewOf } from './tls-secret.ts';
import type { TlsMaterial, TlsSource } from './tls-source.ts';

const DAY = 24 * 60 * 60;
/** setTimeout's ceiling (~24.8 days); a later deadline is reached in several hops. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRY_MIN_MS = 1_000;
/** A failed renewal is retried after 1 s, doubling to 5 min. */
const RETRY_BACKOFF: Backoff = { initialMs: RETRY_MIN_MS, maxMs: 5 * 60_000 };
const WRITE_ATTEMPTS = 5;

export interface CertificateManagerOptions {
  readonly client: KubeClient;
  /** The operator's namespace, where the Secret lives. */
  readonly namespace: string;
  /** Default airlock-webhook-tls. */
  readonly secretName?: string;
  /** Names the serving certificate covers (Service DNS names). */
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Mutating and validating webhook configurations whose caBundle this manager keeps current. */
  readonly webhookConfigurationNames?: readonly string[];
  /** Default 90 days. */
  readonly certValiditySeconds?: number;
  /** Default 30 days. */
  readonly renewBeforeSeconds?: number;
  /** Default 10 years. */
  readonly caValiditySeconds?: number;
  /** How long a new CA is published before it signs; default renewBeforeSeconds. */
  readonly caOverlapSeconds?: number;
  /** Subject common name of the serving certificate; default the first DNS name. */
  readonly commonName?: string;
  readonly logger: Logger;
  /** Clock, for tests; default Date.now. */
  readonly now?: () => number;
}

/** A configuration or Secret problem the operator cannot work around; fix the settings or RBAC. */
export class CertificateManagerError extends Error {
  readonly code: 'InvalidCertificatePolicy' | 'CertificateSecretContention' | 'NotStarted';
  constructor(code: CertificateManagerError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertificateManagerError';
    this.code = code;
  }
}

export class CertificateManager implements TlsSource {
  readonly secretName: string;
  readonly #client: KubeClient;
  readonly #namespace: string;
  readonly #policy: CertificatePolicy;
  readonly #configurations: readonly string[];
  readonly #commonName: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #listeners = new Set<(material: TlsMaterial) => void>();
  #material: TlsMaterial | undefined;
  #stored: StoredCertificates | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Renewals that failed in a row: the next retry waits cappedDelay(RETRY_BACKOFF, failures). */
  #failures = 0;
  #stopped = false;
  /** Serializes syncs, timer firings and caBundle publishing. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: CertificateManagerOptions) {
    this.#client = options.client;
    this.#namespace = options.namespace;
    this.secretName = options.secretName ?? 'airlock-webhook-tls';
    this.#configurations = options.webhookConfigurationNames ?? [];
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    const renewBefore = options.renewBeforeSeconds ?? 30 * DAY;
    this.#policy = {
      certValidityMs: (options.certValiditySeconds ?? 90 * DAY) * 1000,
      renewBeforeMs: renewBefore * 1000,
      caValidityMs: (options.caValiditySeconds ?? 3650 * DAY) * 1000,
      caOverlapMs: (options.caOverlapSeconds ?? renewBefore) * 1000,
      dnsNames: [...new Set(options.dnsNames)],
      ipAddresses: [...new Set((options.ipAddresses ?? []).map(normalizeIp))],
    };
    const problem = policyProblem(this.#policy);
    if (problem) throw new CertificateManagerError('InvalidCertificatePolicy', `certificate settings: ${problem}`);
    this.#commonName = options.commonName ?? this.#policy.dnsNames[0] ?? this.#policy.ipAddresses[0] ?? 'airlock-operator';
  }

  /** Ensures the Secret holds usable certificates, publishes the CA bundle, and arms the renewal timer. */
  async start(): Promise<void> {
    await this.#serialized(async () => {
      await this.#sync();
      await this.#publish();
    });
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#queue.catch(() => undefined);
  }

  current(): TlsMaterial {
    if (!this.#material) throw new CertificateManagerError('NotStarted', 'CertificateManager.current() before start() finished');
    return this.#material;
  }

  onChange(listener: (material: TlsMaterial) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Patches caBundle now; for callers that created the webhook configurations after start(). */
  publishCaBundle(): Promise<void> {
    return this.#serialized(() => this.#publish());
  }

  #serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #schedule(delayMs?: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    const due = this.#stored ? nextCheckAt(viewOf(this.#stored), this.#policy) : this.#now();
    const delay = Math.min(MAX_TIMER_MS, Math.max(RETRY_MIN_MS, delayMs ?? due - this.#now()));
    this.#timer = setTimeout(() => void this.#onTimer(), delay);
    this.#timer.unref();
  }

  async #onTimer(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#serialized(async () => {
        await this.#sync();
        await this.#publish();
      });
      this.#failures = 0;
      this.#schedule();
    } catch (error) {
      const retryInMs = cappedDelay(RETRY_BACKOFF, ++this.#failures);
      this.#logger.warn({ err: error, retryInMs }, 'certificate renewal failed; retrying');
      this.#schedule(retryInMs);
    }
  }

  /** Reads the Secret, makes what is due, writes it back; adopts the winner's on a lost race. */
  async #sync(): Promise<void> {
    const path = `/api/v1/namespaces/${this.#namespace}/secrets/${encodeURIComponent(this.secretName)}`;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const secret = await this.#client.get<TlsSecret>(path).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      });
      const decoded = secret ? decodeSecret(secret) : undefined;
      if (decoded && !decoded.ok) this.#logger.warn({ secret: this.secretName, reason: decoded.reason }, 'replacing unusable certificates');
      const stored = decoded?.ok ? decoded.stored : undefined;
      const now = this.#now();
      const steps = planCertificates(stored ? viewOf(stored) : undefined, now, this.#policy);
      if (steps.length === 0 && stored) {
        this.#adopt(stored);
        return;
      }
      const next = await this.#apply(stored, steps, now);
      try {
        if (secret) {
          await this.#client.request('PUT', path, { body: encodeSecret(next, secret) });
        } else {
          await this.#client.create(`/api/v1/namespaces/${this.#namespace}/secrets`, encodeSecret(next, this.#newSecret()));
        }
      } catch (error) {
        if (isConflict(error) || isAlreadyExists(error)) {
          this.#logger.debug({ secret: this.secretName }, 'another replica wrote the certificates first; reading theirs');
          continue;
        }
        throw error;
      }
      this.#logger.info(
        { secret: this.secretName, steps: steps.map(describeStep), serial: describeCertificate(next.serving.certPem).serialNumber },
        'certificates written',
      );
      this.#adopt(next);
      return;
    }
    throw new CertificateManagerError(
      'CertificateSecretContention',
      `Secret ${this.#namespace}/${this.secretName} kept changing under ${WRITE_ATTEMPTS} attempts to write it: is something else writing it?`,
    );
  }

  async #apply(stored: StoredCertificates | undefined, steps: readonly CertificateStep[], now: number): Promise<StoredCertificates> {
    const policy = this.#policy;
    const newCA = () =>
      createCertificateAuthority({
        commonName: `${this.#commonName} CA ${new Date(now).toISOString()}`,
        now,
        notAfter: now + policy.caValidityMs,
      });
    const serve = (signer: KeyAndCertificate) =>
      issueServingCertificate({
        ca: signer,
        commonName: this.#commonName,
        dnsNames: policy.dnsNames,
        ipAddresses: policy.ipAddresses,
        now,
        // Never outlive the CA that signs it.
        notAfter: Math.min(now + policy.certValidityMs, describeCertificate(signer.certPem).notAfter),
      });
    if (!stored || steps.some((s) => s.kind === 'create')) {
      const signer = await newCA();
      return { signer, serving: await serve(signer), trust: [signer.certPem] };
    }
    let result: StoredCertificates = stored;
    for (const step of steps) {
      switch (step.kind) {
        case 'stage-ca': {
          const next = { ...(await newCA()), publishedAt: now };
          result = { ...result, next, trust: [...result.trust, next.certPem] };
          break;
        }
        case 'switch-ca': {
          if (!result.next) break;
          const signer: KeyAndCertificate = { certPem: result.next.certPem, keyPem: result.next.keyPem };
          result = { serving: await serve(signer), signer, trust: result.trust };
          break;
        }
        case 'renew-serving':
          result = { ...result, serving: await serve(result.signer) };
          break;
        case 'set-trust':
          break; // below, for every pass
        case 'create':
          break; // handled above
      }
    }
    // Whatever happened, the bundle is what desiredTrust says for the result.
    const byFingerprint = new Map(
      [...result.trust, result.signer.certPem, ...(result.next ? [result.next.certPem] : [])].map((pem): [string, string] => [
        describeCertificate(pem).fingerprint,
        pem,
      ]),
    );
    return { ...result, trust: desiredTrust(viewOf(result), now).map((fingerprint) => byFingerprint.get(fingerprint)!) };
  }

  #newSecret(): TlsSecret {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: this.secretName,
        namespace: this.#namespace,
        labels: { 'app.kubernetes.io/part-of': 'airlock', 'app.kubernetes.io/managed-by': 'airlock-operator' },
      },
    };
  }

  #adopt(stored: StoredCertificates): void {
    this.#stored = stored;
    const material: TlsMaterial = { certPem: stored.serving.certPem, keyPem: stored.serving.keyPem, caPem: stored.trust.join('') };
    const previous = this.#material;
    if (previous && previous.certPem === material.certPem && previous.keyPem === material.keyPem && previous.caPem === material.caPem) {
      return;
    }
    this.#material = material;
    if (!previous) return;
    for (const listener of this.#listeners) {
      try {
        listener(material);
      } catch (error) {
        this.#logger.error({ err: error }, 'certificate change listener failed');
      }
    }
  }

  /** Writes the trust bundle into every webhook of the named configurations whose caBundle differs. */
  async #publish(): Promise<void> {
    if (!this.#material) return;
    const caBundle = Buffer.from(this.#material.caPem).toString('base64');
    for (const name of this.#configurations) {
      for (const kind of [KINDS.mutatingWebhookConfiguration, KINDS.validatingWebhookConfiguration]) {
        await this.#publishTo(`/apis/${kind.group}/${kind.version}/${kind.plural}/${encodeURIComponent(name)}`, caBundle);
      }
    }
  }

  async #publishTo(path: string, caBundle: string): Promise<void> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const config = await this.#client
        .get<KubeObject & { webhooks?: { name: string; clientConfig?: { caBundle?: string } }[] }>(path)
        .catch((error: unknown) => {
          if (isNotFound(error)) return undefined; // not installed (yet): publishCaBundle() covers it later
          throw error;
        });
      const ops = (config?.webhooks ?? []).flatMap((webhook, index) =>
        webhook.clientConfig?.caBundle === caBundle
          ? []
          : [
              // The test pins the index to the webhook we read, in case the list changed meanwhile.
              { op: 'test', path: `/webhooks/${index}/name`, value: webhook.name },
              { op: 'add', path: `/webhooks/${index}/clientConfig/caBundle`, value: caBundle },
            ],
      );
      if (ops.length === 0) return;
      try {
        await this.#client.patch(path, ops, 'json');
        this.#logger.info({ configuration: path }, 'published the CA bundle');
        return;
      } catch (error) {
        // A failed test op (422) means the webhooks changed under us: read again.
        if (!(error instanceof KubeApiError && (error.status === 422 || isConflict(error)))) throw error;
      }
    }
    throw new CertificateManagerError('CertificateSecretContention', `${path} kept changing while its caBundle was being published`);
  }
}

function describeStep(step: CertificateStep): string {
  return step.kind === 'renew-serving' ? `renew-serving (${step.reason})` : step.kind;
}
