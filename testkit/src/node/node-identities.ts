/**
 * Who the node's components are to the API server: static-token users (like the test users)
 * named as kubeadm names them, so the built-in authorization applies unchanged: the Node
 * authorizer and NodeRestriction for the kubelet (system:node:NAME in system:nodes), the
 * bootstrap bindings system:node-proxier for kube-proxy and system:kube-scheduler for the
 * scheduler. The API server's client certificate for the kubelet is made in client-certificate.ts.
 */
import type { TestUser } from '../users.ts';

export const NODE_NAME = 'airlock-node';

export const NODE_COMPONENT_USERS = {
  kubelet: { name: `system:node:${NODE_NAME}`, uid: 'u-kubelet', groups: ['system:nodes'] },
  kubeProxy: { name: 'system:kube-proxy', uid: 'u-kube-proxy', groups: [] },
  scheduler: { name: 'system:kube-scheduler', uid: 'u-kube-scheduler', groups: [] },
} as const satisfies Record<string, TestUser>;

export type NodeComponent = keyof typeof NODE_COMPONENT_USERS;
