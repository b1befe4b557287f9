import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeAvailability, type MachineFacts } from './node-availability.ts';

const able: MachineFacts = {
  uid: 0,
  effectiveCapabilities: 0x1fffeffffffn,
  cgroupControllers: ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids', 'systemd', 'unified'],
  cgroupsWritable: true,
  procSysWritable: true,
  missing: [],
  iptablesVersion: 'iptables v1.8.9 (nf_tables)\n',
};

const reason = (facts: Partial<MachineFacts>): string => {
  const judged = judgeAvailability({ ...able, ...facts });
  return judged.available ? '' : judged.reason;
};

test('a root with the capabilities, cgroups and packages can run the node', () => {
  assert.deepEqual(judgeAvailability(able), { available: true });
  assert.deepEqual(judgeAvailability({ ...able, cgroupControllers: ['unified-only'] }), { available: true });
});

test('each missing piece is named with what to do', () => {
  assert.match(reason({ uid: 1000 }), /^no test node on this machine: it needs root/);
  assert.match(reason({ effectiveCapabilities: 0x1fffeffffffn & ~(1n << 12n) }), /lacks CAP_NET_ADMIN \(bridge, routes, iptables\);/);
  assert.match(reason({ effectiveCapabilities: 0n }), /lacks CAP_NET_ADMIN .* and CAP_SYS_ADMIN/);
  assert.match(reason({ cgroupControllers: [] }), /no cgroup file system/);
  assert.match(reason({ cgroupControllers: ['cpu', 'cpuacct', 'cpuset', 'pids'] }), /controllers memory are not mounted/);
  assert.match(reason({ cgroupsWritable: false }), /\/sys\/fs\/cgroup is read-only/);
  assert.match(reason({ procSysWritable: false }), /\/proc\/sys is read-only/);
  assert.match(reason({ missing: ['runc (Debian package runc)'] }), /missing runc \(Debian package runc\); run `make system-packages`/);
  assert.match(reason({ iptablesVersion: 'iptables v1.8.9 (legacy)' }), /not the nf_tables variant .*update-alternatives/);
});
