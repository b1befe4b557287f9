import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { APPROVAL_WAIT_BUCKETS, createSidecarMetrics } from './metrics.ts';

describe('createSidecarMetrics', () => {
  test('registers every metric under airlock_sidecar_, with its labels', async () => {
    const registry = new Registry();
    const metrics = createSidecarMetrics(registry, { defaultMetrics: false });
    metrics.statements.inc({ protocol: 'postgres', decision: 'requireApproval', mode: 'enforce' });
    metrics.statements.inc({ protocol: 'postgres', decision: 'deny', mode: 'audit' }, 2);
    metrics.approvalWaitSeconds.observe({ protocol: 'postgres', outcome: 'approved' }, 42);
    metrics.sessionsActive.inc({ protocol: 'postgres' });
    metrics.sessions.inc({ protocol: 'postgres' });
    metrics.bytes.inc({ protocol: 'postgres', direction: 'in' }, 100);
    metrics.maskedFields.inc({ protocol: 'postgres', rule: 'emails' }, 3);
    metrics.maskedBinaryNulled.inc();
    metrics.parseCacheLookups.inc({ result: 'hit' });
    metrics.errors.inc({ protocol: 'postgres', code: 'FrameTooLarge' });
    metrics.recordingLostRecords.inc(4);
    metrics.recordingBlocked.inc();
    metrics.recordingStoreFailures.inc(2);
    metrics.recordingStoreFailing.inc();
    metrics.delegations.inc({ outcome: 'granted' });
    metrics.delegations.inc({ outcome: 'refused' }, 2);

    const text = await registry.metrics();
    for (const line of [
      'airlock_sidecar_statements_total{protocol="postgres",decision="requireApproval",mode="enforce"} 1',
      'airlock_sidecar_statements_total{protocol="postgres",decision="deny",mode="audit"} 2',
      'airlock_sidecar_approval_wait_seconds_bucket{le="60",protocol="postgres",outcome="approved"} 1',
      'airlock_sidecar_approval_wait_seconds_bucket{le="30",protocol="postgres",outcome="approved"} 0',
      'airlock_sidecar_approval_wait_seconds_sum{protocol="postgres",outcome="approved"} 42',
      'airlock_sidecar_sessions_active{protocol="postgres"} 1',
      'airlock_sidecar_sessions_total{protocol="postgres"} 1',
      'airlock_sidecar_bytes_total{protocol="postgres",direction="in"} 100',
      'airlock_sidecar_masked_fields_total{protocol="postgres",rule="emails"} 3',
      'airlock_sidecar_masked_binary_nulled_total 1',
      'airlock_sidecar_parse_cache_lookups_total{result="hit"} 1',
      'airlock_sidecar_errors_total{protocol="postgres",code="FrameTooLarge"} 1',
      'airlock_sidecar_recording_lost_records_total 4',
      'airlock_sidecar_recording_blocked 1',
      'airlock_sidecar_recording_store_failures_total 2',
      'airlock_sidecar_recording_store_failing 1',
      'airlock_sidecar_delegations_total{outcome="granted"} 1',
      'airlock_sidecar_delegations_total{outcome="refused"} 2',
    ]) {
      assert.ok(text.includes(`${line}\n`), `missing ${line}`);
    }
    assert.equal(text.match(/^# TYPE /gm)?.length, 14, 'only the sidecar metrics without default metrics');
  });

  test('approval waits are bucketed from a second to a day', () => {
    assert.equal(APPROVAL_WAIT_BUCKETS[0], 1);
    assert.equal(APPROVAL_WAIT_BUCKETS.at(-1), 86_400);
  });

  test('default metrics join the same registry under their standard names', async () => {
    const registry = new Registry();
    createSidecarMetrics(registry);
    const text = await registry.metrics();
    assert.match(text, /^process_cpu_user_seconds_total \d/m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  });

  test('registries are independent: two sidecars in one process do not collide', () => {
    createSidecarMetrics(new Registry(), { defaultMetrics: false });
    createSidecarMetrics(new Registry(), { defaultMetrics: false });
  });
});
