/**
 * How the certificates live in their Secret (type kubernetes.io/tls, so anything that reads
 * tls.crt / tls.key / ca.crt can use it), and the view the planner reads from them.
 *
 *   tls.crt, tls.key              serving certificate and key
 *   ca.crt                        trust bundle: every CA clients should accept now
 *   signer.crt, signer.key        the CA that signs serving certificates
 *   next-signer.crt, .key         a staged CA, published in ca.crt but not signing yet
 *   annotation airlock.dev/next-signer-published-at   when it was staged (RFC 3339)
 */

import { describeCertificate, isIssuedBy, type KeyAndCertificate, keyMatches, splitPemBundle } from '@airlock/runtime/pki';
import type { CertificateView } from './certificate-plan.ts';

export const SECRET_KEYS = {
  cert: 'tls.crt',
  key: 'tls.key',
  trust: 'ca.crt',
  signerCert: 'signer.crt',
  signerKey: 'signer.key',
  nextCert: 'next-signer.crt',
  nextKey: 'next-signer.key',
} as const;
export const NEXT_SIGNER_PUBLISHED_AT = 'airlock.dev/next-signer-published-at';

export interface StoredCertificates {
  readonly serving: KeyAndCertificate;
  readonly signer: KeyAndCertificate;
  readonly next?: KeyAndCertificate & { readonly publishedAt: number };
  /** CA certificates, one PEM each. */
  readonly trust: readonly string[];
}

export interface TlsSecret {
  apiVersion?: string;
  kind?: string;
  type?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  data?: Record<string, string>;
}

export type DecodedSecret = { readonly ok: true; readonly stored: StoredCertificates } | { readonly ok: false; readonly reason: string };

const fromBase64 = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');

export function decodeSecret(secret: TlsSecret): DecodedSecret {
  const data = secret.data ?? {};
  const read = (key: string) => fromBase64(data[key]);
  const pair = (certKey: string, keyKey: string): KeyAndCertificate | undefined => {
    const certPem = read(certKey);
    const keyPem = read(keyKey);
    return certPem && keyPem && keyMatches(certPem, keyPem) ? { certPem, keyPem } : undefined;
  };
  const serving = pair(SECRET_KEYS.cert, SECRET_KEYS.key);
  if (!serving) return { ok: false, reason: `${SECRET_KEYS.cert}/${SECRET_KEYS.key} are missing or do not match` };
  const signer = pair(SECRET_KEYS.signerCert, SECRET_KEYS.signerKey);
  if (!signer) return { ok: false, reason: `${SECRET_KEYS.signerCert}/${SECRET_KEYS.signerKey} are missing or do not match` };
  const trust = splitPemBundle(read(SECRET_KEYS.trust) ?? '');
  let next: StoredCertificates['next'];
  const staged = pair(SECRET_KEYS.nextCert, SECRET_KEYS.nextKey);
  const publishedAt = Date.parse(secret.metadata?.annotations?.[NEXT_SIGNER_PUBLISHED_AT] ?? '');
  if (staged && Number.isFinite(publishedAt)) next = { ...staged, publishedAt };
  try {
    for (const pem of [serving.certPem, signer.certPem, ...trust]) describeCertificate(pem);
  } catch {
    return { ok: false, reason: 'a certificate in the Secret cannot be parsed' };
  }
  return { ok: true, stored: { serving, signer, ...(next ? { next } : {}), trust } };
}

export function encodeSecret(stored: StoredCertificates, base: TlsSecret): TlsSecret {
  const annotations = { ...(base.metadata?.annotations ?? {}) };
  if (stored.next) annotations[NEXT_SIGNER_PUBLISHED_AT] = new Date(stored.next.publishedAt).toISOString();
  else delete annotations[NEXT_SIGNER_PUBLISHED_AT];
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return {
    ...base,
    apiVersion: 'v1',
    kind: 'Secret',
    type: base.type ?? 'kubernetes.io/tls',
    metadata: { ...base.metadata, annotations },
    data: {
      [SECRET_KEYS.cert]: b64(stored.serving.certPem),
      [SECRET_KEYS.key]: b64(stored.serving.keyPem),
      [SECRET_KEYS.trust]: b64(stored.trust.join('')),
      [SECRET_KEYS.signerCert]: b64(stored.signer.certPem),
      [SECRET_KEYS.signerKey]: b64(stored.signer.keyPem),
      ...(stored.next ? { [SECRET_KEYS.nextCert]: b64(stored.next.certPem), [SECRET_KEYS.nextKey]: b64(stored.next.keyPem) } : {}),
    },
  };
}

export function viewOf(stored: StoredCertificates): CertificateView {
  return {
    signer: describeCertificate(stored.signer.certPem),
    ...(stored.next ? { next: { facts: describeCertificate(stored.next.certPem), publishedAt: stored.next.publishedAt } } : {}),
    trust: stored.trust.map(describeCertificate),
    serving: describeCertificate(stored.serving.certPem),
    servingIssuedBySigner: isIssuedBy(stored.serving.certPem, stored.signer.certPem),
  };
}
