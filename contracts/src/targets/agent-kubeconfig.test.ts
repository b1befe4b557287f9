import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AGENT_KUBECONFIG_USER, renderAgentKubeconfig } from './agent-kubeconfig.ts';

test('one context per Target on the loopback listener, no credential, the first by name current', () => {
  const text = renderAgentKubeconfig([
    { target: 'staging-api', namespace: 'agents', host: '127.0.0.1', port: 6444 },
    { target: 'cluster-api', namespace: 'agents', host: '127.0.0.1', port: 6443 },
  ]);
  const config = JSON.parse(text);
  assert.equal(config['current-context'], 'cluster-api');
  assert.deepEqual(
    config.clusters.map((c: { cluster: { server: string } }) => c.cluster.server),
    ['http://127.0.0.1:6443', 'http://127.0.0.1:6444'],
  );
  assert.deepEqual(config.users, [{ name: AGENT_KUBECONFIG_USER, user: {} }]);
  assert.equal(config.contexts[0].context.namespace, 'agents');
  assert.doesNotMatch(text, /token|client-key|password|certificate-authority/);
  // Plain HTTP on loopback: nothing to verify; client-node refuses http:// without the flag.
  assert.equal(config.clusters[0].cluster['insecure-skip-tls-verify'], true);
});

test('an IPv6 listener address is bracketed', () => {
  const config = JSON.parse(renderAgentKubeconfig([{ target: 'api', namespace: 'a', host: '::1', port: 6443 }]));
  assert.equal(config.clusters[0].cluster.server, 'http://[::1]:6443');
});
