/**
 * The operator's composition root. Every replica serves the admission webhooks and the broker
 * (they must answer whichever replica the Service picks); only the leader runs the reconcilers,
 * so status is written by one writer at a time.
 */

import { type HealthServer, startHealthServer } from '@airlock/runtime';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { startBroker } from './broker/server.ts';
import { InformerCatalog } from './catalog.ts';
import { DelegationKeys } from './identity/delegation/delegation-key.ts';
import { KubeClient } from './kube/client.ts';
import { Controller, type ReconcileFunction } from './kube/controller.ts';
import { createControllerMetrics } from './kube/controller-metrics.ts';
import { EventRecorder } from './kube/events.ts';
import { LeaderElector } from './kube/leader-election.ts';
import { createApprovalMetrics } from './observability/approval-metrics.ts';
import { approvalRequestReconciler } from './reconcilers/approval-request-controller.ts';
import { identitiesUsing, identityReconciler } from './reconcilers/identity-controller.ts';
import { policiesInNamespaceOf, policyReconciler } from './reconcilers/policy-controller.ts';
import { targetReconciler } from './reconcilers/target-controller.ts';
import { FileIngestStore } from './recordings/file-ingest-store.ts';
import { CertificateManager } from './tls/certificate-manager.ts';
import { startAdmissionServer } from './webhooks/admission-server.ts';
import type { InjectionSettings } from './webhooks/injection-settings.ts';

export interface OperatorOptions {
  readonly kubeConfig: KubeConfig;
  /** The namespace the operator runs in: its Lease, its TLS Secret; never injected. */
  readonly namespace: string;
  /** This replica's name in the Lease (the pod name in a cluster). */
  readonly identity: string;
  readonly host: string;
  readonly ports: { readonly webhook: number; readonly broker: number; readonly health: number };
  readonly tls: {
    readonly secretName: string;
    readonly dnsNames: readonly string[];
    readonly ipAddresses: readonly string[];
    readonly webhookConfigurationNames: readonly string[];
    readonly certValiditySeconds?: number;
    readonly renewBeforeSeconds?: number;
  };
  /** What the webhook injects; the broker CA and the operator namespace are filled in here. */
  readonly injection: Omit<InjectionSettings, 'brokerCAPem' | 'operatorNamespace'>;
  readonly recordingsDirectory: string;
  readonly retentionMs: number;
  readonly leaseName: string;
  readonly leaseDurationSeconds?: number;
  readonly logger: Logger;
}

export interface RunningOperator {
  readonly ports: { readonly webhook: number; readonly broker: number; readonly health: number };
  readonly registry: Registry;
  isLeader(): boolean;
  close(): Promise<void>;
}

export async function startOperator(options: OperatorOptions): Promise<RunningOperator> {
  const { logger } = options;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'airlock_operator_process_' });
  const client = new KubeClient(options.kubeConfig, { fieldManager: 'airlock-operator' });
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) {
      try {
        await closer();
      } catch (error) {
        logger.warn({ err: error }, 'error while stopping');
      }
    }
  };
  try {
    const catalog = new InformerCatalog(client, {
      onError: (error, phase) => logger.warn({ err: error, phase }, 'informer error; retrying'),
    });
    closers.push(() => catalog.stop());
    await catalog.start();

    const certificates = new CertificateManager({
      client,
      namespace: options.namespace,
      secretName: options.tls.secretName,
      dnsNames: [...options.tls.dnsNames],
      ipAddresses: [...options.tls.ipAddresses],
      webhookConfigurationNames: [...options.tls.webhookConfigurationNames],
      ...(options.tls.certValiditySeconds ? { certValiditySeconds: options.tls.certValiditySeconds } : {}),
      ...(options.tls.renewBeforeSeconds ? { renewBeforeSeconds: options.tls.renewBeforeSeconds } : {}),
      logger: logger.child({ component: 'certificates' }),
    });
    closers.push(() => certificates.stop());
    await certificates.start();

    const events = new EventRecorder({ client, component: 'airlock-operator', instance: options.identity, logger });
    const admission = await startAdmissionServer({
      host: options.host,
      port: options.ports.webhook,
      tls: certificates,
      catalog,
      // A function: pods created after a CA rotation get the bundle of that moment.
      settings: () => ({ ...options.injection, brokerCAPem: certificates.current().caPem, operatorNamespace: options.namespace }),
      registry,
      logger: logger.child({ component: 'webhook' }),
    });
    closers.push(() => admission.close());

    const broker = await startBroker({
      client,
      catalog,
      tls: certificates,
      host: options.host,
      port: options.ports.broker,
      recordings: new FileIngestStore(options.recordingsDirectory),
      registry,
      logger: logger.child({ component: 'broker' }),
      delegationKeys: new DelegationKeys(client, options.namespace),
      onApprovalCreated: (request) =>
        events.record(request, 'Normal', 'Created', `Holding ${request.spec.operation.summary} for approval.`),
    });
    closers.push(() => broker.close());

    const approvalMetrics = createApprovalMetrics(registry, () =>
      catalog.requestInformer.list().filter((r) => (r.status?.phase ?? 'Pending') === 'Pending'),
    );
    const controllerMetrics = createControllerMetrics(registry);
    /** Starts the four controllers; returns what stops them (and unhooks them from the informers). */
    const startControllers = (): (() => Promise<void>) => {
      const unhook: (() => void)[] = [];
      const make = (name: string, reconcile: ReconcileFunction) =>
        new Controller({ name, reconcile, logger: logger.child({ controller: name }), metrics: controllerMetrics });
      const targets = make('target', targetReconciler({ client, targets: catalog.targetInformer, events }));
      unhook.push(targets.watch(catalog.targetInformer));
      const identities = make(
        'agentidentity',
        identityReconciler({ client, identities: catalog.identityInformer, targets: catalog.targetInformer, events }),
      );
      unhook.push(identities.watch(catalog.identityInformer));
      unhook.push(
        catalog.targetInformer.onChange((_, target) => {
          for (const key of identitiesUsing(catalog.identityInformer, target)) identities.enqueue(key);
        }),
      );
      const policies = make(
        'approvalpolicy',
        policyReconciler({ client, policies: catalog.policyInformer, targets: catalog.targetInformer, events }),
      );
      unhook.push(policies.watch(catalog.policyInformer));
      unhook.push(
        catalog.targetInformer.onChange((_, target) => {
          for (const key of policiesInNamespaceOf(catalog.policyInformer, target)) policies.enqueue(key);
        }),
      );
      const requests = make(
        'approvalrequest',
        approvalRequestReconciler({
          client,
          requests: catalog.requestInformer,
          events,
          metrics: approvalMetrics,
          retentionMs: options.retentionMs,
        }),
      );
      unhook.push(requests.watch(catalog.requestInformer));
      const all = [targets, identities, policies, requests];
      for (const controller of all) controller.start();
      return async () => {
        for (const stop of unhook) stop();
        await Promise.all(all.map((controller) => controller.stop()));
      };
    };

    // The leading work lasts until the lease is lost or stop() is called: the elector waits for it
    // to end (controllers drained) before it releases the lease, so two leaders never overlap.
    const elector = new LeaderElector({
      client,
      namespace: options.namespace,
      name: options.leaseName,
      identity: options.identity,
      ...(options.leaseDurationSeconds ? { leaseDurationSeconds: options.leaseDurationSeconds } : {}),
      logger: logger.child({ component: 'leader-election' }),
      onStartedLeading: async (signal) => {
        logger.info('leading: starting the reconcilers');
        const stopControllers = startControllers();
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        await stopControllers();
      },
      onStoppedLeading: () => logger.warn('not leading: the reconcilers are stopped'),
    });
    closers.push(() => elector.stop());
    elector.start();

    const health: HealthServer = await startHealthServer({
      host: options.host,
      port: options.ports.health,
      registry,
      logger,
      readiness: () => ({ ready: true, reasons: [] }),
    });
    closers.push(() => health.close());
    return {
      ports: { webhook: admission.port, broker: broker.port, health: health.port },
      registry,
      isLeader: () => elector.isLeader(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
