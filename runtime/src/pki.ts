/**
 * Making and reading the operator's certificates: a self-signed CA and serving certificates it
 * signs (ECDSA P-256: small, fast, accepted by the API server and Node). Generation uses
 * @peculiar/x509 over WebCrypto; reading uses node:crypto's X509Certificate.
 */
import { createPrivateKey, X509Certificate as NodeX509, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs this polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Backdating covers clocks a little behind ours (API server, other replicas). */
const BACKDATE_MS = 5 * 60 * 1000;

export interface KeyAndCertificate {
  readonly certPem: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
}

export interface CertificateFacts {
  readonly serialNumber: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  /** SHA-256 of the DER, as node:crypto prints it. */
  readonly fingerprint: string;
  readonly isCA: boolean;
}

function keyPem(der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n');
  return `-----BEGIN PRIVATE KEY-----\n${base64}-----END PRIVATE KEY-----\n`;
}

/** One spelling for every PEM we write (trailing newline), so bundles compare equal as text. */
const certificatePem = (cert: x509.X509Certificate): string => `${cert.toString('pem').trimEnd()}\n`;

/** Positive, 128 random bits: what RFC 5280 asks of a serial number. */
const serialNumber = () =>
  randomBytes(16)
    .toString('hex')
    .replace(/^[89a-f]/, '1');

async function newKeys(): Promise<CryptoKeyPair> {
  x509.cryptoProvider.set(webcrypto);
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function createCertificateAuthority(options: {
  commonName: string;
  now: number;
  notAfter: number;
}): Promise<KeyAndCertificate> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${options.commonName}`,
    notBefore: new Date(options.now - BACKDATE_MS),
    notAfter: new Date(options.notAfter),
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: certificatePem(cert), keyPem: keyPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

export async function issueServingCertificate(options: {
  ca: KeyAndCertificate;
  commonName: string;
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  now: number;
  notAfter: number;
}): Promise<KeyAndCertificate> {
  const keys = await newKeys();
  const caCert = new x509.X509Certificate(options.ca.certPem);
  const caDer = createPrivateKey(options.ca.keyPem).export({ format: 'der', type: 'pkcs8' });
  const caKey = await webcrypto.subtle.importKey('pkcs8', caDer, EC, false, ['sign']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${options.commonName}`,
    issuer: caCert.subject,
    notBefore: new Date(options.now - BACKDATE_MS),
    notAfter: new Date(options.notAfter),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...options.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...options.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: certificatePem(cert), keyPem: keyPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** IPv6 addresses compare in one spelling (node prints SANs expanded, people write them short). */
export function normalizeIp(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]`).hostname.slice(1, -1) : address;
}

/** Throws when the PEM is not a certificate. */
export function describeCertificate(pem: string): CertificateFacts {
  const cert = new NodeX509(pem);
  const names = (cert.subjectAltName ?? '').split(/,\s*/).filter(Boolean);
  return {
    serialNumber: cert.serialNumber,
    notBefore: cert.validFromDate.getTime(),
    notAfter: cert.validToDate.getTime(),
    dnsNames: names.filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4)),
    ipAddresses: names.filter((n) => n.startsWith('IP Address:')).map((n) => normalizeIp(n.slice(11))),
    fingerprint: cert.fingerprint256,
    isCA: cert.ca,
  };
}

/** The certificates of a PEM bundle, each as its own PEM block. */
export function splitPemBundle(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((block) => `${block}\n`) ?? [];
}

/** Whether `certPem` carries a signature of `caPem`'s key. */
export function isIssuedBy(certPem: string, caPem: string): boolean {
  try {
    const cert = new NodeX509(certPem);
    const ca = new NodeX509(caPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** Whether the private key belongs to the certificate. */
export function keyMatches(certPem: string, keyPem: string): boolean {
  try {
    return new NodeX509(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
