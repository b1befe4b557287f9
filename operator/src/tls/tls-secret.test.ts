import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCertificateAuthority, describeCertificate, isIssuedBy, issueServingCertificate } from '@airlock/runtime/pki';
import { decodeSecret, encodeSecret, NEXT_SIGNER_PUBLISHED_AT, type StoredCertificates, viewOf } from './tls-secret.ts';

const now = Date.now();
const signer = await createCertificateAuthority({ commonName: 'test CA', now, notAfter: now + 3_600_000 });
const next = await createCertificateAuthority({ commonName: 'next CA', now, notAfter: now + 7_200_000 });
const serving = await issueServingCertificate({
  ca: signer,
  commonName: 'webhook',
  dnsNames: ['airlock-webhook.airlock-system.svc'],
  ipAddresses: ['127.0.0.1', '::1'],
  now,
  notAfter: now + 600_000,
});
const stored: StoredCertificates = { serving, signer, next: { ...next, publishedAt: now }, trust: [signer.certPem, next.certPem] };

test('certificates survive the trip through the Secret, staged CA and its publication time included', () => {
  const secret = encodeSecret(stored, { metadata: { name: 'airlock-webhook-tls', annotations: { keep: 'me' } } });
  assert.equal(secret.type, 'kubernetes.io/tls');
  assert.equal(secret.metadata?.annotations?.keep, 'me');
  assert.equal(secret.metadata?.annotations?.[NEXT_SIGNER_PUBLISHED_AT], new Date(now).toISOString());
  const decoded = decodeSecret(secret);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.stored, stored);
});

test('what the planner sees: names, issuer, times', () => {
  const view = viewOf(stored);
  assert.deepEqual(view.serving.dnsNames, ['airlock-webhook.airlock-system.svc']);
  assert.deepEqual(view.serving.ipAddresses, ['127.0.0.1', '::1']);
  assert.equal(view.servingIssuedBySigner, true);
  assert.equal(view.serving.notAfter, Math.floor((now + 600_000) / 1000) * 1000);
  assert.equal(view.signer.isCA, true);
  assert.equal(view.trust.length, 2);
  assert.equal(isIssuedBy(serving.certPem, next.certPem), false);
  assert.equal(describeCertificate(serving.certPem).isCA, false);
});

test('a Secret that is not ours, or is damaged, is reported unusable with the reason', () => {
  assert.match((decodeSecret({ data: {} }) as { reason: string }).reason, /tls\.crt\/tls\.key are missing/);
  const swapped = encodeSecret({ ...stored, serving: { certPem: serving.certPem, keyPem: signer.keyPem } }, {});
  assert.match((decodeSecret(swapped) as { reason: string }).reason, /do not match/);
  const noSigner = encodeSecret(stored, {});
  delete noSigner.data!['signer.key'];
  assert.match((decodeSecret(noSigner) as { reason: string }).reason, /signer\.crt\/signer\.key/);
});
