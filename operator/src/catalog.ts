/**
 * Read access to the airlock objects, from informer caches: the webhook, the broker and the
 * reconcilers all read through it, so a request never waits on an API round trip.
 */
import type { AgentIdentity, ApprovalPolicy, ApprovalRequest, Target } from '@airlock/crds';
import type { KubeClient } from './kube/client.ts';
import { Informer, type InformerOptions } from './kube/informer.ts';
import { KINDS } from './kube/kinds.ts';

export interface Catalog {
  identities(namespace: string): readonly AgentIdentity[];
  targets(namespace: string): readonly Target[];
  policies(namespace: string): readonly ApprovalPolicy[];
}

export class InformerCatalog implements Catalog {
  readonly identityInformer: Informer<AgentIdentity>;
  readonly targetInformer: Informer<Target>;
  readonly policyInformer: Informer<ApprovalPolicy>;
  readonly requestInformer: Informer<ApprovalRequest>;

  constructor(client: KubeClient, options: InformerOptions = {}) {
    this.identityInformer = new Informer<AgentIdentity>(client, KINDS.agentIdentity, options);
    this.targetInformer = new Informer<Target>(client, KINDS.target, options);
    this.policyInformer = new Informer<ApprovalPolicy>(client, KINDS.approvalPolicy, options);
    this.requestInformer = new Informer<ApprovalRequest>(client, KINDS.approvalRequest, options);
  }

  async start(): Promise<void> {
    await Promise.all([
      this.identityInformer.start(),
      this.targetInformer.start(),
      this.policyInformer.start(),
      this.requestInformer.start(),
    ]);
  }

  stop(): void {
    for (const informer of [this.identityInformer, this.targetInformer, this.policyInformer, this.requestInformer]) informer.stop();
  }

  identities(namespace: string): readonly AgentIdentity[] {
    return this.identityInformer.list(namespace);
  }

  targets(namespace: string): readonly Target[] {
    return this.targetInformer.list(namespace);
  }

  policies(namespace: string): readonly ApprovalPolicy[] {
    return this.policyInformer.list(namespace);
  }
}
