import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKubernetesRequest, splitRequestTarget } from '../kubernetes/parse-request.ts';
import { compilePolicy } from './decide.ts';
import { decideKubernetesRequest } from './kubernetes-decide.ts';
import { compileKubernetesMatch } from './kubernetes-match.ts';
import { kubernetesRequestFacts } from './kubernetes-request-facts.ts';

const facts = (method: string, target: string) => kubernetesRequestFacts(parseKubernetesRequest({ method, ...splitRequestTarget(target) }));

const holdEverything = compilePolicy(
  {
    name: 'lenient',
    namespace: 'agents',
    spec: {
      rules: [{ name: 'reads', action: 'allow', match: { kubernetes: { verbs: ['get', 'list', 'watch'] } } }],
      defaultAction: 'requireApproval',
      approval: { approvers: { groups: ['sre'] } },
    },
  },
  compileKubernetesMatch,
);

test('a request the parser cannot place is refused, not held: an approval would release what no rule could read', () => {
  const decision = decideKubernetesRequest(facts('GET', '/api/v1/namespaces/prod-eu%2Fsecrets'), [holdEverything]);
  assert.equal(decision.action, 'deny');
  assert.equal(decision.failedClosed, true);
  assert.equal(decision.verdict, undefined);
  assert.match(decision.reason, /cannot be placed .*encoded slash/i);
});

test('in audit mode too', () => {
  const audit = compilePolicy(
    { ...{ name: 'watching', namespace: 'agents' }, spec: { mode: 'audit', defaultAction: 'allow' } },
    compileKubernetesMatch,
  );
  assert.equal(decideKubernetesRequest(facts('GET', '/api/v1/namespaces/a/pods/../secrets'), [audit]).action, 'deny');
});

test('every other request is decided by the policies', () => {
  assert.equal(decideKubernetesRequest(facts('GET', '/api/v1/namespaces/a/pods'), [holdEverything]).action, 'allow');
  assert.equal(decideKubernetesRequest(facts('DELETE', '/api/v1/namespaces/a/pods/x'), [holdEverything]).action, 'requireApproval');
});
