/**
 * An X.509 client certificate signed by the test CA, with openssl: the API server shows it to
 * the kubelet (exec, logs, port-forward), which trusts the test CA for clients. The operator's
 * PKI code (@airlock/runtime pki.ts) issues serving certificates only, and a test helper is no
 * reason to grow it; openssl is on every Debian machine.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import type { CertificateAuthority, KeyAndCert } from '../pki.ts';

export function issueClientCertificate(
  ca: CertificateAuthority,
  subject: { commonName: string; organizations?: readonly string[] },
  validDays = 30,
): KeyAndCert {
  const work = mkdtempSync(join(tmpdir(), 'airlock-client-cert-'));
  try {
    const at = (name: string) => join(work, name);
    writeFileSync(at('ca.crt'), ca.certPem);
    writeFileSync(at('ca.key'), ca.keyPem, { mode: 0o600 });
    writeFileSync(at('ext.cnf'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
    const name = [...(subject.organizations ?? []).map((o) => `/O=${o}`), `/CN=${subject.commonName}`].join('');
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', at('client.ec.key')]);
    openssl(['pkcs8', '-topk8', '-nocrypt', '-in', at('client.ec.key'), '-out', at('client.key')]);
    openssl(['req', '-new', '-key', at('client.key'), '-subj', name, '-out', at('client.csr')]);
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
      `0x${randomBytes(16)
        .toString('hex')
        .replace(/^[89a-f]/, '1')}`,
      '-days',
      String(validDays),
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
  if (result.status !== 0) {
    throw new HarnessError(
      'OpensslFailed',
      `openssl ${args[0]} failed (${result.error?.message ?? result.stderr.trim()}); the test node needs openssl (Debian package openssl)`,
    );
  }
}
