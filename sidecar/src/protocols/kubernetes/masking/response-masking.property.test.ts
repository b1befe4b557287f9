/**
 * Properties over generated objects: masking an already masked response changes nothing more
 * (a proxy chain, or evidence masked twice, stays stable), no value a column rule selects ever
 * comes out as it went in, and the output has the input's shape (same keys, same array lengths,
 * types changed only to null).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MaskingRule } from '@airlock/crds';
import fc from 'fast-check';
import { responseMaskingFor } from './response-masking.ts';
import { b64, compiledRules } from './testing/api-objects.ts';

const WIDGETS = { apiGroup: 'example.com', resource: 'widgets', subresource: '', verb: 'get' };
const SECRETS = { apiGroup: '', resource: 'secrets', subresource: '', verb: 'get' };

/** The column rules below, written independently of the glob compiler. */
const selected = (key: string | undefined): boolean => key !== undefined && (/password/i.test(key) || /^token$/i.test(key));
const columnRule = (strategy: MaskingRule['strategy']): MaskingRule => ({
  name: 'columns',
  columns: ['*password*', 'TOKEN'],
  strategy,
  ...(strategy === 'partial' ? { keepFirst: 2, keepLast: 1 } : {}),
});

// Generated values never look masked already ('*', 'h:'), so "changed" means "masked".
const text = fc.oneof(
  fc.constantFrom('ops@example.com', 'hunter22', 'DB_PASSWORD', 'contact bob@example.org today', '', 'x'),
  fc.string({ maxLength: 12 }).filter((s) => !s.includes('*') && !s.startsWith('h:')),
);
const key = fc.constantFrom('password', 'db_password', 'Token', 'token_ref', 'name', 'value', 'owner', 'note', 'items', 'data', 'env');
const leaf = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null));
const { tree } = fc.letrec<{ tree: unknown; node: unknown }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('node'), fc.array(tie('tree'), { maxLength: 4 })),
  node: fc.oneof(
    fc.dictionary(key, tie('tree'), { maxKeys: 5 }),
    // A name/value pair, as env vars are.
    fc.record({ name: fc.constantFrom('DB_PASSWORD', 'LOG_LEVEL', 'TOKEN'), value: tie('tree') }),
  ),
}));

const widget = fc.record({
  apiVersion: fc.constant('example.com/v1'),
  kind: fc.constant('Widget'),
  metadata: fc.record({ name: text, resourceVersion: fc.constant('7') }),
  spec: tree,
});
const secret = fc.record({
  apiVersion: fc.constant('v1'),
  kind: fc.constant('Secret'),
  metadata: fc.record({ name: text }),
  data: fc.dictionary(key, text.map(b64), { maxKeys: 5 }),
  stringData: fc.dictionary(key, text, { maxKeys: 3 }),
});

function maskOnce(value: unknown, rules: MaskingRule[], resource = WIDGETS): unknown {
  const masking = responseMaskingFor({ resource, rules: compiledRules(rules) })!;
  return JSON.parse(masking.maskBody(Buffer.from(JSON.stringify(value)), 'application/json').body.toString());
}

/** Walks input and output together: same shape; column-selected leaves changed; unselected numbers and booleans unchanged. */
function checkMasked(input: unknown, output: unknown, key: string | undefined, pairName: string | undefined, path: string): void {
  if (Array.isArray(input)) {
    assert.ok(Array.isArray(output) && output.length === input.length, `${path}: array shape`);
    for (const [i, element] of input.entries()) checkMasked(element, output[i], key, pairName, `${path}[${i}]`);
  } else if (typeof input === 'object' && input !== null) {
    assert.ok(typeof output === 'object' && output !== null && !Array.isArray(output), `${path}: object shape`);
    const inRecord = input as Record<string, unknown>;
    const outRecord = output as Record<string, unknown>;
    assert.deepEqual(Object.keys(outRecord), Object.keys(inRecord), `${path}: keys`);
    const name = typeof inRecord.name === 'string' ? inRecord.name : undefined;
    for (const k of Object.keys(inRecord)) checkMasked(inRecord[k], outRecord[k], k, k === 'value' ? name : undefined, `${path}.${k}`);
  } else if (input !== null && (selected(key) || selected(pairName))) {
    assert.notEqual(output, input, `${path}: a column rule selects ${JSON.stringify(input)} but it came out unmasked`);
    assert.ok(output === null || typeof output === 'string', `${path}: masked to a string or null`);
  } else if (typeof input === 'string') {
    assert.ok(output === null || typeof output === 'string', `${path}: still a string`);
  } else assert.equal(output, input, `${path}: left alone`);
}

describe('masking properties', () => {
  for (const strategy of ['redact', 'partial', 'hash', 'null'] as const) {
    test(`${strategy}: no value a column rule selects survives, and the shape is kept`, () => {
      const rules = [columnRule(strategy), { name: 'emails', detectors: ['email' as const] }];
      fc.assert(
        fc.property(widget, (object) => {
          const masked = maskOnce(object, rules) as Record<string, unknown>;
          assert.equal(masked.kind, 'Widget');
          assert.deepEqual(masked.metadata && (masked.metadata as Record<string, unknown>).resourceVersion, '7');
          checkMasked(object.spec, masked.spec, 'spec', undefined, 'spec');
        }),
        { numRuns: 300 },
      );
    });
  }

  for (const strategy of ['redact', 'partial', 'null'] as const) {
    test(`${strategy}: masking a masked response changes nothing (Widgets and Secrets)`, () => {
      const rules = [columnRule(strategy), { name: 'emails', detectors: ['email' as const] }];
      fc.assert(
        fc.property(widget, (object) => {
          const once = maskOnce(object, rules);
          assert.deepEqual(maskOnce(once, rules), once);
        }),
        { numRuns: 200 },
      );
      fc.assert(
        fc.property(secret, (object) => {
          const once = maskOnce(object, rules, SECRETS) as { data: Record<string, string>; stringData: Record<string, string> };
          assert.deepEqual(maskOnce(once, rules, SECRETS), once);
          // Every Secret value is masked whatever its key.
          for (const [k, v] of Object.entries(object.data)) assert.ok(once.data[k] === null || once.data[k] !== v || v === b64('****'), k);
        }),
        { numRuns: 200 },
      );
    });
  }
});
