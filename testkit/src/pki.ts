/**
 * The certificates and keys a test control plane and test servers need: a CA, serving
 * certificates it signs (the operator's own PKI code, @airlock/runtime pki.ts, with test
 * lifetimes), and the service-account signing key pair (RSA, for RS256 tokens every OIDC
 * library verifies).
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  createCertificateAuthority as createCa,
  issueServingCertificate as issueCertificate,
  type KeyAndCertificate,
} from '@airlock/runtime/pki';

const DAY_MS = 24 * 60 * 60 * 1000;

export type CertificateAuthority = KeyAndCertificate;
export type KeyAndCert = KeyAndCertificate;

export function createCertificateAuthority(commonName: string, validDays = 30): Promise<CertificateAuthority> {
  const now = Date.now();
  return createCa({ commonName, now, notAfter: now + validDays * DAY_MS });
}

export function issueServingCertificate(
  ca: CertificateAuthority,
  commonName: string,
  names: { dns?: string[]; ips?: string[] },
  validDays = 30,
): Promise<KeyAndCert> {
  const now = Date.now();
  return issueCertificate({
    ca,
    commonName,
    dnsNames: names.dns ?? [],
    ipAddresses: names.ips ?? [],
    now,
    notAfter: now + validDays * DAY_MS,
  });
}

/** The key pair the API server signs service-account tokens with. */
export function createServiceAccountKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}
