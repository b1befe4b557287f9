import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CertificateFacts } from '@airlock/runtime/pki';
import { type CertificatePolicy, type CertificateView, nextCheckAt, planCertificates, policyProblem } from './certificate-plan.ts';

const DAY = 86_400_000;
const POLICY: CertificatePolicy = {
  certValidityMs: 90 * DAY,
  renewBeforeMs: 30 * DAY,
  caValidityMs: 3650 * DAY,
  caOverlapMs: 30 * DAY,
  dnsNames: ['airlock-webhook.airlock-system.svc'],
  ipAddresses: [],
};

const cert = (fingerprint: string, notBefore: number, notAfter: number, names: Partial<CertificateFacts> = {}): CertificateFacts => ({
  serialNumber: fingerprint,
  fingerprint,
  notBefore,
  notAfter,
  dnsNames: POLICY.dnsNames,
  ipAddresses: [],
  isCA: false,
  ...names,
});

/** A fresh CA (issued at 0) and a serving certificate issued at `servedAt`. */
function view(servedAt = 0, overrides: Partial<CertificateView> = {}): CertificateView {
  const signer = { ...cert('ca-1', 0, POLICY.caValidityMs), isCA: true };
  return {
    signer,
    trust: [signer],
    serving: cert(`srv-${servedAt}`, servedAt, servedAt + POLICY.certValidityMs),
    servingIssuedBySigner: true,
    ...overrides,
  };
}

describe('planCertificates', () => {
  test('nothing stored: create everything', () => {
    assert.deepEqual(planCertificates(undefined, 0, POLICY), [{ kind: 'create' }]);
  });

  test('a fresh pair needs nothing until renewBefore ahead of the serving expiry', () => {
    assert.deepEqual(planCertificates(view(), 59 * DAY, POLICY), []);
    assert.equal(nextCheckAt(view(), POLICY), 60 * DAY);
    assert.deepEqual(planCertificates(view(), 60 * DAY, POLICY), [{ kind: 'renew-serving', reason: 'it expires soon' }]);
  });

  test('a serving certificate for other names, or from another CA, is renewed at once', () => {
    const renamed = view(0, { serving: cert('srv', 0, 90 * DAY, { dnsNames: ['old.svc'] }) });
    assert.deepEqual(planCertificates(renamed, DAY, POLICY), [{ kind: 'renew-serving', reason: 'the names it must cover changed' }]);
    const foreign = view(0, { servingIssuedBySigner: false });
    assert.deepEqual(planCertificates(foreign, DAY, POLICY), [{ kind: 'renew-serving', reason: 'the current CA did not issue it' }]);
  });

  test('the CA is staged (published, not signing) a full cycle before it ends, then switched after the overlap', () => {
    const lead = POLICY.certValidityMs + POLICY.renewBeforeMs + POLICY.caOverlapMs;
    const stageAt = POLICY.caValidityMs - lead;
    const before = view(stageAt - 10 * DAY);
    assert.equal(nextCheckAt(before, POLICY), stageAt);
    assert.deepEqual(planCertificates(before, stageAt - 1, POLICY), []);
    assert.deepEqual(planCertificates(before, stageAt, POLICY), [{ kind: 'stage-ca' }]);

    const next = { facts: { ...cert('ca-2', stageAt, stageAt + POLICY.caValidityMs), isCA: true }, publishedAt: stageAt };
    const staged = view(stageAt - 10 * DAY, { next, trust: [before.signer, next.facts] });
    assert.equal(nextCheckAt(staged, POLICY), stageAt + POLICY.caOverlapMs);
    assert.deepEqual(planCertificates(staged, stageAt + POLICY.caOverlapMs - 1, POLICY), []);
    assert.deepEqual(planCertificates(staged, stageAt + POLICY.caOverlapMs, POLICY), [{ kind: 'switch-ca' }]);
  });

  test('a staged CA that is not in the trust bundle is put back', () => {
    const next = { facts: cert('ca-2', 0, POLICY.caValidityMs), publishedAt: DAY };
    const lost = view(0, { next });
    assert.deepEqual(planCertificates(lost, 2 * DAY, POLICY), [{ kind: 'set-trust', fingerprints: ['ca-1', 'ca-2'] }]);
  });

  test('an earlier CA stays trusted until it expires, then leaves the bundle', () => {
    const old = { ...cert('ca-0', -POLICY.caValidityMs, 40 * DAY), isCA: true };
    const afterSwitch = view(0, { trust: [old, view().signer] });
    assert.deepEqual(planCertificates(afterSwitch, 39 * DAY, POLICY), []);
    assert.equal(nextCheckAt(afterSwitch, POLICY), 40 * DAY);
    assert.deepEqual(planCertificates(afterSwitch, 40 * DAY, POLICY), [{ kind: 'set-trust', fingerprints: ['ca-1'] }]);
  });
});

describe('policyProblem', () => {
  test('the defaults are fine', () => assert.equal(policyProblem(POLICY), undefined));
  test('renewing before the certificate was even valid is refused', () => {
    assert.match(policyProblem({ ...POLICY, renewBeforeMs: POLICY.certValidityMs }) ?? '', /renewBeforeSeconds must be less/);
  });
  test('a CA too short to live through one cycle is refused', () => {
    assert.match(policyProblem({ ...POLICY, caValidityMs: 100 * DAY }) ?? '', /caValiditySeconds must exceed/);
  });
  test('a certificate for no name is refused', () => {
    assert.match(policyProblem({ ...POLICY, dnsNames: [] }) ?? '', /at least one DNS name/);
  });
});
