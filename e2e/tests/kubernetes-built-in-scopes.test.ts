/**
 * The table of built-in resource scopes (@airlock/contracts/kubernetes builtInNamespaced), which
 * airlock-policy-test uses where a sidecar would ask discovery, held against a real kube-apiserver's
 * discovery: for every group version it serves, each resource's `namespaced` must be the table's,
 * and every resource it serves must be in the table. A wrong entry would make a policy test decide
 * a request without a namespace differently from the sidecar; a missing one only reads the request
 * as both scopes, but the table claims to be whole, so a new release's resources show up here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { builtInNamespaced, builtInResourceScopes } from '@airlock/contracts/kubernetes';
import { ControlPlane } from '@airlock/testkit';

interface ApiResourceList {
  readonly groupVersion: string;
  readonly resources: readonly { readonly name: string; readonly namespaced: boolean }[];
}

interface Served {
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resource: string;
  readonly namespaced: boolean;
}

let plane: ControlPlane;
/** Every resource (not subresource) of every group version the API server serves. */
const served: Served[] = [];

async function getRaw<T>(path: string): Promise<T> {
  const result = await plane.kubectl(['get', '--raw', path]);
  assert.equal(result.code, 0, `kubectl get --raw ${path}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

before(async () => {
  plane = await ControlPlane.start({ controllers: false, log: (line) => process.stderr.write(`# ${line}\n`) });
  const groups = await getRaw<{ groups: { name: string; versions: { groupVersion: string; version: string }[] }[] }>('/apis');
  const groupVersions = [
    { apiGroup: '', apiVersion: 'v1', path: '/api/v1' },
    ...groups.groups.flatMap((group) =>
      group.versions.map((version) => ({ apiGroup: group.name, apiVersion: version.version, path: `/apis/${version.groupVersion}` })),
    ),
  ];
  for (const { apiGroup, apiVersion, path } of groupVersions) {
    const list = await getRaw<ApiResourceList>(path);
    for (const resource of list.resources) {
      if (!resource.name.includes('/')) served.push({ apiGroup, apiVersion, resource: resource.name, namespaced: resource.namespaced });
    }
  }
});

after(async () => {
  await plane?.stop();
});

const label = (r: { apiGroup: string; resource: string }): string => `${r.resource}${r.apiGroup === '' ? '' : `.${r.apiGroup}`}`;

describe('built-in resource scopes against kube-apiserver discovery', () => {
  test('discovery lists the resources the table needs to be checked against', () => {
    // The core group and groups the examples rely on must be there, or the checks below prove nothing.
    for (const name of [
      'pods',
      'nodes',
      'deployments.apps',
      'clusterroles.rbac.authorization.k8s.io',
      'apiservices.apiregistration.k8s.io',
    ]) {
      assert.ok(
        served.some((r) => label(r) === name),
        `discovery serves ${name}`,
      );
    }
  });

  test('every resource of the table is served, and namespaced exactly as the table says', () => {
    const wrong: string[] = [];
    for (const entry of builtInResourceScopes()) {
      const found = served.filter((r) => r.apiGroup === entry.apiGroup && r.resource === entry.resource);
      if (found.length === 0) wrong.push(`${label(entry)}: in the table, not served`);
      for (const r of found) {
        if (r.namespaced !== entry.namespaced) {
          wrong.push(
            `${label(entry)} in ${r.apiGroup || 'core'}/${r.apiVersion}: namespaced ${r.namespaced}, the table says ${entry.namespaced}`,
          );
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('every resource the API server serves is in the table, in every version it serves', () => {
    const missing = served
      .filter((r) => builtInNamespaced(r) !== r.namespaced)
      .map(
        (r) => `${label(r)} (${r.apiGroup || 'core'}/${r.apiVersion}): namespaced ${r.namespaced}, the table says ${builtInNamespaced(r)}`,
      );
    assert.deepEqual(missing, []);
  });
});
