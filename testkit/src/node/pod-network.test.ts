import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrsOverlap, cniConflist, POD_NETWORK, parseCidr } from './pod-network.ts';

test('IPv4 ranges overlap when one contains an address of the other', () => {
  assert.equal(cidrsOverlap('10.0.0.0/8', '10.244.0.0/24'), true);
  assert.equal(cidrsOverlap('10.244.0.0/24', '10.0.0.0/8'), true);
  assert.equal(cidrsOverlap('10.244.0.7', '10.244.0.0/24'), true);
  assert.equal(cidrsOverlap('10.244.1.0/24', '10.244.0.0/24'), false);
  assert.equal(cidrsOverlap('192.0.2.0/24', '10.0.0.0/24'), false);
  assert.equal(cidrsOverlap('0.0.0.0/0', '203.0.113.9'), true);
  assert.equal(cidrsOverlap('255.255.255.255', '255.255.255.0/24'), true);
  assert.deepEqual(parseCidr('10.244.0.9/24'), { base: 10 * 2 ** 24 + 244 * 2 ** 16, bits: 24 });
  assert.throws(() => parseCidr('10.244.0/24'));
  assert.throws(() => parseCidr('256.0.0.0/8'));
  assert.throws(() => parseCidr('fd00::/64'));
});

test('the test ranges do not overlap each other', () => {
  assert.equal(cidrsOverlap(POD_NETWORK.podCidr, POD_NETWORK.serviceCidr), false);
  assert.equal(cidrsOverlap(POD_NETWORK.dnsServiceIp, POD_NETWORK.serviceCidr), true, 'the DNS Service address is in the service range');
  assert.equal(cidrsOverlap(POD_NETWORK.gateway, POD_NETWORK.podCidr), true);
  assert.ok(POD_NETWORK.bridge.length <= 15);
});

test('pods get an address on the bridge and a route to Services only: no default route, no masquerade', () => {
  const conf = cniConflist(POD_NETWORK, '/tmp/n/ipam') as { plugins: Record<string, unknown>[] };
  const [bridge] = conf.plugins as [Record<string, unknown>];
  assert.equal(bridge.type, 'bridge');
  assert.equal(bridge.bridge, 'airlock0');
  assert.equal(bridge.isDefaultGateway, false);
  assert.equal(bridge.ipMasq, false);
  assert.deepEqual(bridge.ipam, {
    type: 'host-local',
    ranges: [[{ subnet: '10.244.0.0/24', gateway: '10.244.0.1' }]],
    routes: [{ dst: '10.0.0.0/24' }],
    dataDir: '/tmp/n/ipam',
  });
});
