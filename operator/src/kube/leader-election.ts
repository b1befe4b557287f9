/**
 * Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection:
 * - candidates read the Lease every retry period; a holder's claim counts as valid until
 *   leaseDurationSeconds after this replica *observed* it change (local clock only, so clock skew
 *   between replicas does not matter); an expired or empty claim is taken with an update that
 *   carries the resourceVersion read, so of two candidates exactly one wins (the other gets 409);
 * - the leader renews every retry period; when no renewal succeeded for renewDeadlineSeconds it
 *   stops leading (aborts the signal, calls onStoppedLeading) before its claim can expire for the
 *   others (leaseDuration > renewDeadline), so two leaders never act at once;
 * - stop() aborts the leading work, waits for it, then releases the Lease (empty holder, like
 *   client-go ReleaseOnCancel) so another replica takes over at its next retry, not after expiry.
 * After losing the Lease, or stepping down because the leading work failed, the elector campaigns
 * again once the work has settled: a replica that lost it to an API outage can lead again instead
 * of idling until it is restarted. After stop() it stays stopped.
 * Timings: docs/adr/0007-controller-machinery.md.
 */
import { pause } from '@airlock/runtime';
import type { Logger } from 'pino';
import { collectionPath, isAlreadyExists, isConflict, isNotFound, type KubeClient, type KubeObject, objectPath } from './client.ts';
import { KubeMachineryError } from './errors.ts';
import { KINDS } from './kinds.ts';

export interface LeaderElectorOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** The Lease's name; every replica of one operator uses the same. */
  readonly name: string;
  /** This replica, unique among the candidates (the pod name). */
  readonly identity: string;
  /** How long a claim is valid after it was last seen to change; whole seconds, default 15. */
  readonly leaseDurationSeconds?: number;
  /** The leader gives up when it could not renew for this long; default 10. */
  readonly renewDeadlineSeconds?: number;
  /** How often candidates try to acquire and the leader renews; default 2. */
  readonly retryPeriodSeconds?: number;
  readonly logger: Logger;
  /**
   * Called on becoming leader. The signal aborts when leadership ends. Return a promise that
   * settles when the leading work has stopped: stop() waits for it before releasing the Lease.
   */
  readonly onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once each time leading ends: lost, stepped down, or stopped. */
  readonly onStoppedLeading: () => void;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

type Attempt = 'acquired' | 'held' | 'failed';

/** client-go's JitterFactor: candidates spread their retries so they do not knock in step. */
const JITTER_FACTOR = 1.2;

export class LeaderElector {
  readonly #client: KubeClient;
  readonly #namespace: string;
  readonly #name: string;
  readonly #identity: string;
  readonly #leaseDurationSeconds: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #logger: Logger;
  readonly #onStartedLeading: LeaderElectorOptions['onStartedLeading'];
  readonly #onStoppedLeading: LeaderElectorOptions['onStoppedLeading'];
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #leading = false;
  /** The Lease as last read or written, and when this replica saw its resourceVersion change. */
  #observed: Lease | undefined;
  #observedAt = 0;

  constructor(options: LeaderElectorOptions) {
    const lease = options.leaseDurationSeconds ?? 15;
    const renew = options.renewDeadlineSeconds ?? 10;
    const retry = options.retryPeriodSeconds ?? 2;
    if (!Number.isInteger(lease) || lease < 1 || !(renew < lease) || !(retry > 0) || !(renew > JITTER_FACTOR * retry)) {
      throw new KubeMachineryError(
        'InvalidLeaderElectionTimings',
        `leader election needs whole leaseDurationSeconds > renewDeadlineSeconds > ${JITTER_FACTOR} × retryPeriodSeconds > 0; got ${lease}, ${renew}, ${retry} (the defaults are 15, 10, 2)`,
      );
    }
    this.#client = options.client;
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.#identity = options.identity;
    this.#leaseDurationSeconds = lease;
    this.#renewDeadlineMs = renew * 1000;
    this.#retryPeriodMs = retry * 1000;
    this.#logger = options.logger.child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
    this.#onStartedLeading = options.onStartedLeading;
    this.#onStoppedLeading = options.onStoppedLeading;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** Starts campaigning in the background. An elector runs once: after stop() it stays stopped. */
  start(): void {
    if (this.#loop || this.#stop.signal.aborted) return;
    this.#loop = this.#run();
  }

  /** Stops campaigning; when leading, ends the leading work, waits for it, and releases the Lease. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      const acquiredAt = await this.#acquire();
      if (acquiredAt === undefined) return;
      await this.#lead(acquiredAt);
    }
  }

  /**
   * Tries every retry period (jittered) until this replica holds the Lease. Answers when the
   * successful attempt started (the claim's age counts from there), or undefined when stopped first.
   */
  async #acquire(): Promise<number | undefined> {
    this.#logger.debug('campaigning for the lease');
    while (!this.#stop.signal.aborted) {
      const attemptStarted = Date.now();
      if ((await this.#tryAcquireOrRenew('acquire', AbortSignal.timeout(this.#renewDeadlineMs))) === 'acquired') return attemptStarted;
      await pause(this.#retryPeriodMs * (1 + Math.random() * JITTER_FACTOR), this.#stop.signal);
    }
    return undefined;
  }

  async #lead(acquiredAt: number): Promise<void> {
    this.#leading = true;
    this.#logger.info('acquired the lease: leading');
    const work = new AbortController();
    const haltRenewal = new AbortController();
    let workFailed: (error: unknown) => void = () => {};
    const failure = new Promise<'failed'>((resolve) => {
      workFailed = (error) => {
        if (work.signal.aborted) return;
        this.#logger.error({ err: error }, 'the leading work failed: stepping down');
        resolve('failed');
      };
    });
    const workSettled = Promise.resolve()
      .then(() => this.#onStartedLeading(work.signal))
      .then(() => {}, workFailed);
    const renewal = this.#keepRenewing(acquiredAt, haltRenewal.signal).then((outcome) => {
      if (outcome === 'lost') this.#leading = false; // at once, even while the work still drains
      return outcome;
    });
    const stopRequested = abortPromise(this.#stop.signal, 'stop' as const);
    const why = await Promise.race([renewal, failure, stopRequested.promise]);
    stopRequested.dispose();

    if (why === 'lost') {
      this.#leading = false;
      work.abort();
      this.#stoppedLeading();
      await workSettled;
      return;
    }
    // Stepping down on purpose: end the work while still renewing, then hand the Lease over.
    work.abort();
    await workSettled;
    haltRenewal.abort();
    if ((await renewal) === 'halted') await this.#release();
    this.#leading = false;
    this.#stoppedLeading();
    // Give the other replicas a lease period to take over before this one tries again.
    if (why === 'failed') await pause(this.#leaseDurationSeconds * 1000, this.#stop.signal);
  }

  /** Renews every retry period until halted ('halted'), or until it has to give up ('lost'). */
  async #keepRenewing(acquiredAt: number, halt: AbortSignal): Promise<'lost' | 'halted'> {
    // When the last successful attempt *started*: the others' view of the claim is no older than that.
    let lastRenew = acquiredAt;
    for (;;) {
      await pause(this.#retryPeriodMs, halt);
      if (halt.aborted) return 'halted';
      const attemptStarted = Date.now();
      const left = Math.max(1, lastRenew + this.#renewDeadlineMs - attemptStarted);
      const attempt = await this.#tryAcquireOrRenew('renew', AbortSignal.timeout(left));
      if (attempt === 'acquired') {
        lastRenew = attemptStarted;
        continue;
      }
      if (attempt === 'held') {
        this.#logger.warn({ holder: this.#observed?.spec?.holderIdentity }, 'another replica holds the lease: stopped leading');
        return 'lost';
      }
      if (Date.now() - lastRenew >= this.#renewDeadlineMs) {
        this.#logger.warn({ renewDeadlineMs: this.#renewDeadlineMs }, 'could not renew the lease before the deadline: stopped leading');
        return 'lost';
      }
    }
  }

  /**
   * One round: read the Lease, create it if missing, take it if its claim expired or was released,
   * renew it if ours. 'held': someone else validly holds it; 'failed': try again next round.
   */
  async #tryAcquireOrRenew(mode: 'acquire' | 'renew', signal: AbortSignal): Promise<Attempt> {
    const now = new Date();
    let lease: Lease;
    try {
      lease = await this.#client.get<Lease>(objectPath(KINDS.lease, this.#namespace, this.#name), signal);
    } catch (error) {
      if (!isNotFound(error)) return this.#failed(error, 'read');
      if (mode === 'renew') return 'held'; // deleted under us: whoever recreates it leads
      try {
        this.#see(await this.#client.create<Lease>(collectionPath(KINDS.lease, this.#namespace), this.#newLease(now), signal));
        return 'acquired';
      } catch (createError) {
        // Another candidate created it first; the next round reads its claim.
        return isAlreadyExists(createError) ? 'failed' : this.#failed(createError, 'create');
      }
    }
    this.#see(lease);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.#identity) {
      if (mode === 'renew') return 'held';
      const validMs = (spec.leaseDurationSeconds ?? this.#leaseDurationSeconds) * 1000;
      if (holder !== '' && this.#observedAt + validMs > Date.now()) return 'held';
    }
    const next: Lease = {
      ...lease,
      spec:
        holder === this.#identity
          ? { ...spec, leaseDurationSeconds: this.#leaseDurationSeconds, renewTime: microTime(now) }
          : {
              holderIdentity: this.#identity,
              leaseDurationSeconds: this.#leaseDurationSeconds,
              acquireTime: microTime(now),
              renewTime: microTime(now),
              leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
            },
    };
    try {
      this.#see(await this.#client.replace<Lease>(objectPath(KINDS.lease, this.#namespace, this.#name), next, signal));
      if (holder !== this.#identity) this.#logger.info({ previousHolder: holder || undefined }, 'took over the lease');
      return 'acquired';
    } catch (error) {
      // 409: someone else wrote the Lease since we read it, most likely a rival taking it.
      return isConflict(error) ? 'failed' : this.#failed(error, 'update');
    }
  }

  /** Hands the Lease over: empty holder, 1 s duration, so candidates take it at their next retry. */
  async #release(): Promise<void> {
    const lease = this.#observed;
    if (!lease || lease.spec?.holderIdentity !== this.#identity) return;
    const now = microTime(new Date());
    const released: Lease = {
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
    };
    try {
      this.#see(
        await this.#client.replace<Lease>(
          objectPath(KINDS.lease, this.#namespace, this.#name),
          released,
          AbortSignal.timeout(this.#renewDeadlineMs),
        ),
      );
      this.#logger.info('released the lease');
    } catch (error) {
      // Not fatal: the claim expires after leaseDurationSeconds anyway.
      this.#logger.warn({ err: error }, 'could not release the lease; it expires on its own');
    }
  }

  #newLease(now: Date): Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.#name, namespace: this.#namespace },
      spec: {
        holderIdentity: this.#identity,
        leaseDurationSeconds: this.#leaseDurationSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      },
    };
  }

  /** Remembers the Lease; a new resourceVersion restarts the holder's validity on our clock. */
  #see(lease: Lease): void {
    if (lease.metadata?.resourceVersion !== this.#observed?.metadata?.resourceVersion) this.#observedAt = Date.now();
    this.#observed = lease;
  }

  #failed(error: unknown, what: string): 'failed' {
    this.#logger.debug({ err: error }, `lease ${what} failed; retrying`);
    return 'failed';
  }

  #stoppedLeading(): void {
    try {
      this.#onStoppedLeading();
    } catch (error) {
      this.#logger.error({ err: error }, 'onStoppedLeading threw');
    }
  }
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Resolves with `value` when the signal aborts; dispose() removes the listener when no longer needed. */
function abortPromise<V>(signal: AbortSignal, value: V): { promise: Promise<V>; dispose: () => void } {
  if (signal.aborted) return { promise: Promise.resolve(value), dispose: () => {} };
  let listener = () => {};
  const promise = new Promise<V>((resolve) => {
    listener = () => resolve(value);
    signal.addEventListener('abort', listener, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', listener) };
}
