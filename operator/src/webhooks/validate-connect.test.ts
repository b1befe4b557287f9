import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PodConnectRequest, validateConnect } from './validate-connect.ts';

const CONTEXT = { operatorNamespace: 'airlock-system' };

const exec = (container: string, overrides: Partial<PodConnectRequest> = {}): PodConnectRequest => ({
  subResource: 'exec',
  namespace: 'agents',
  name: 'migrate-1',
  options: { kind: 'PodExecOptions', container, command: ['sh'] },
  ...overrides,
});
const attach = (container: string): PodConnectRequest => ({
  subResource: 'attach',
  namespace: 'agents',
  name: 'migrate-1',
  options: { kind: 'PodAttachOptions', container },
});

test('exec and attach into the sidecar are refused, and the message says what to do instead', () => {
  for (const [request, verb] of [
    [exec('airlock-sidecar'), 'exec'],
    [attach('airlock-sidecar'), 'attach'],
  ] as const) {
    const verdict = validateConnect(request, CONTEXT);
    assert.equal(verdict.allowed, false, verb);
    if (verdict.allowed) continue;
    assert.equal(verdict.code, 'SidecarExecForbidden');
    assert.match(
      verdict.message,
      new RegExp(`^kubectl ${verb} into container airlock-sidecar is refused: a session there could read the sidecar's broker token`),
    );
    assert.match(verdict.message, /kubectl logs -n agents pod\/migrate-1 -c airlock-sidecar/);
    assert.match(verdict.message, /metrics on port 15021/);
    assert.match(verdict.message, /exec into the agent's container instead$/);
  }
});

test("the agent's containers are allowed, and so is no container (never the sidecar: the API server picks the only regular one)", () => {
  for (const request of [exec('agent'), exec(''), attach('agent'), attach(''), exec('migrations')]) {
    assert.deepEqual(validateConnect(request, CONTEXT), { allowed: true }, JSON.stringify(request.options));
  }
});

test('only the exact name counts: a container name is case-sensitive, and nothing else in the options matters', () => {
  for (const container of ['Airlock-Sidecar', 'airlock-sidecar ', 'airlock-sidecar-2', 'airlock']) {
    assert.deepEqual(validateConnect(exec(container), CONTEXT), { allowed: true }, container);
  }
  const quiet = exec('airlock-sidecar', { options: { kind: 'PodExecOptions', container: 'airlock-sidecar', command: ['true'] } });
  assert.equal(validateConnect(quiet, CONTEXT).allowed, false, 'a harmless-looking command is still a process beside the token');
});

test('kube-system and the operator namespace are never checked; other subresources are not this decision', () => {
  assert.deepEqual(validateConnect(exec('airlock-sidecar', { namespace: 'airlock-system' }), CONTEXT), { allowed: true });
  assert.deepEqual(validateConnect(exec('airlock-sidecar', { namespace: 'kube-system' }), CONTEXT), { allowed: true });
  assert.deepEqual(validateConnect(exec('airlock-sidecar', { subResource: 'portforward' }), CONTEXT), { allowed: true });
});
