import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerSettingsError, brokerSettingsFromEnv } from './broker-settings.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const files: Record<string, string> = { '/token': 'eyJ.token.sig\n', '/ca.pem': CA, '/empty': '' };
const read = (path: string): string => {
  const content = files[path];
  if (content === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return content;
};
const BASE = {
  AIRLOCK_BROKER_URL: 'https://airlock-operator.airlock-system.svc:8443',
  AIRLOCK_BROKER_CA: CA,
  AIRLOCK_TOKEN_FILE: '/token',
};

const problems = (env: NodeJS.ProcessEnv): readonly string[] => {
  try {
    brokerSettingsFromEnv(env, read);
  } catch (error) {
    assert.ok(error instanceof BrokerSettingsError);
    return error.problems;
  }
  assert.fail('expected BrokerSettingsError');
};

test('defaults: loopback listeners, health on 15021 for the kubelet, info logs', () => {
  assert.deepEqual(brokerSettingsFromEnv(BASE, read), {
    brokerUrl: BASE.AIRLOCK_BROKER_URL,
    caPem: CA.trim(),
    tokenFile: '/token',
    listenHost: '127.0.0.1',
    health: { host: '0.0.0.0', port: 15021 },
    logLevel: 'info',
    shutdownGraceMs: 15_000,
  });
});

test('the CA from a file; every setting overridable', () => {
  const { AIRLOCK_BROKER_CA: _, ...rest } = BASE;
  const settings = brokerSettingsFromEnv(
    {
      ...rest,
      AIRLOCK_BROKER_CA_FILE: '/ca.pem',
      AIRLOCK_LISTEN_HOST: '::1',
      AIRLOCK_HEALTH_HOST: '127.0.0.1',
      AIRLOCK_HEALTH_PORT: '0',
      AIRLOCK_LOG_LEVEL: 'DEBUG',
      AIRLOCK_SHUTDOWN_GRACE_MS: '2500',
      AIRLOCK_CONFIG_DIR: '/var/run/airlock/',
    },
    read,
  );
  assert.equal(settings.caPem, CA);
  assert.deepEqual(
    [settings.listenHost, settings.health, settings.logLevel, settings.shutdownGraceMs, settings.configDir],
    ['::1', { host: '127.0.0.1', port: 0 }, 'debug', 2500, '/var/run/airlock'],
  );
});

test('every problem is listed at once, each saying what to set', () => {
  const all = problems({});
  assert.equal(all.length, 3);
  assert.match(all.join('\n'), /AIRLOCK_BROKER_URL is not set/);
  assert.match(all.join('\n'), /AIRLOCK_BROKER_CA \(PEM\) or AIRLOCK_BROKER_CA_FILE/);
  assert.match(all.join('\n'), /AIRLOCK_TOKEN_FILE is not set/);
  assert.match(problems({ ...BASE, AIRLOCK_BROKER_URL: 'http://x' }).join(), /not an https:\/\/ URL/);
  assert.match(problems({ ...BASE, AIRLOCK_BROKER_CA: 'not a pem' }).join(), /not a PEM certificate/);
  assert.match(problems({ ...BASE, AIRLOCK_BROKER_CA_FILE: '/ca.pem' }).join(), /not both/);
  assert.match(problems({ ...BASE, AIRLOCK_TOKEN_FILE: '/missing' }).join(), /cannot be read: ENOENT/);
  assert.match(problems({ ...BASE, AIRLOCK_TOKEN_FILE: '/empty' }).join(), /is empty/);
  assert.match(problems({ ...BASE, AIRLOCK_HEALTH_PORT: '70000' }).join(), /not a port number/);
  assert.match(problems({ ...BASE, AIRLOCK_LOG_LEVEL: 'loud' }).join(), /not one of/);
  for (const dir of ['var/run/airlock', '/var/run/air lock', '/run/%u', '~/airlock']) {
    assert.match(problems({ ...BASE, AIRLOCK_CONFIG_DIR: dir }).join(), /AIRLOCK_CONFIG_DIR=.* is not an absolute path of letters/, dir);
  }
  assert.match(
    problems({ ...BASE, AIRLOCK_SHUTDOWN_GRACE_MS: '15s' }).join(),
    /AIRLOCK_SHUTDOWN_GRACE_MS=15s is not a number of milliseconds/,
  );
});
