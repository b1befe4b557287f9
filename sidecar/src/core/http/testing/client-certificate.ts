/**
 * A client certificate (extendedKeyUsage clientAuth) signed by a test CA, with openssl, for the
 * upstream that requires one. The runtime's PKI issues serving certificates only, and the test
 * kit's client-certificate helper is not among its exports.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export function issueTestClientCertificate(ca: PemPair, commonName: string): PemPair {
  const work = mkdtempSync(join(tmpdir(), 'airlock-http-client-cert-'));
  const at = (name: string): string => join(work, name);
  try {
    writeFileSync(at('ca.crt'), ca.certPem);
    writeFileSync(at('ca.key'), ca.keyPem, { mode: 0o600 });
    writeFileSync(at('ext.cnf'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', at('client.key')]);
    openssl(['req', '-new', '-key', at('client.key'), '-subj', `/CN=${commonName}`, '-out', at('client.csr')]);
    openssl([
      'x509',
      '-req',
      '-in',
      at('client.csr'),
      '-CA',
      at('ca.crt'),
      '-CAkey',
      at('ca.key'),
      '-set_serial',
      '0x1234',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      at('ext.cnf'),
      '-out',
      at('client.crt'),
    ]);
    return { certPem: readFileSync(at('client.crt'), 'utf8'), keyPem: readFileSync(at('client.key'), 'utf8') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`openssl ${args[0]} failed: ${result.error?.message ?? result.stderr.trim()} (the test needs the openssl command)`);
}
