import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { GROUP } from '../schema/common.ts';
import { generatedFiles } from './generated-files.ts';

const root = join(import.meta.dirname, '..');

test('generated files are up to date with crds/schema (run `make generate`)', () => {
  for (const [path, content] of generatedFiles()) {
    let current: string | undefined;
    try {
      current = readFileSync(join(root, path), 'utf8');
    } catch {
      current = undefined;
    }
    assert.equal(current, content, `crds/${path} is stale: run \`make generate\``);
  }
});

test('every schema field has a description (the API server shows them in kubectl explain)', () => {
  const missing: string[] = [];
  const walk = (schema: Record<string, unknown>, path: string) => {
    if (path && !path.endsWith('.metadata') && typeof schema.description !== 'string') missing.push(path);
    for (const [k, v] of Object.entries((schema.properties as Record<string, Record<string, unknown>>) ?? {})) walk(v, `${path}.${k}`);
    if (schema.items) walk(schema.items as Record<string, unknown>, `${path}[]`);
    if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties as Record<string, unknown>, `${path}{}`);
  };
  for (const [path, content] of generatedFiles()) {
    if (!path.startsWith(`manifests/${GROUP}_`)) continue; // CRDs only; the admission policy has no schema
    const crd = parse(content);
    walk(crd.spec.versions[0].schema.openAPIV3Schema, crd.spec.names.kind);
  }
  // Map values (labels) carry no description of their own in Kubernetes either.
  assert.deepEqual(
    missing.filter((p) => !p.endsWith('{}')),
    [],
  );
});
