/**
 * Properties over generated requests: the parser and the rendering never throw, whatever arrives;
 * what reviewers read is printable ASCII; and spelling a character of a placed request's path
 * with a percent escape changes nothing, as it changes nothing for the API server.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { describeKubernetesRequest } from './describe-request.ts';
import { parseKubernetesRequest, splitRequestTarget } from './parse-request.ts';
import { REQUEST_CORPUS } from './testing/request-corpus.ts';

const FRAGMENTS = [
  '/',
  '//',
  'api',
  'apis',
  'v1',
  'apps',
  'namespaces',
  'shop',
  'pods',
  'web-0',
  'status',
  'finalize',
  'exec',
  'proxy',
  'watch',
  '.',
  '..',
  '%2F',
  '%2E',
  '%25',
  '%',
  '%zz',
  '%00',
  '%C3%A9',
  '\\',
  '?',
  '&',
  '=',
  ';',
  '+',
  'watch=1',
  'dryRun=All',
  'fieldSelector=metadata.name%3Dx',
  'labelSelector=a',
  'constructor',
  '__proto__',
  ' ',
  '\n',
  'é',
];

const targetArb = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 4 })), { maxLength: 14 })
  .map((parts) => parts.join(''));
const methodArb = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'get', 'CONNECT', '');

test('parsing and describing never throw, and descriptions are printable ASCII', () => {
  fc.assert(
    fc.property(methodArb, targetArb, (method, target) => {
      const info = parseKubernetesRequest({ method, ...splitRequestTarget(target) });
      const text = describeKubernetesRequest(info);
      assert.match(text, /^[\x20-\x7e]+$/);
    }),
    { numRuns: 5000 },
  );
});

const PLACED = REQUEST_CORPUS.filter((c) => c.expect.kind !== 'unknown');
const percentEscape = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

test('a percent escape of a path character reads as the character', () => {
  fc.assert(
    fc.property(fc.constantFrom(...PLACED), fc.nat(), (c, position) => {
      const { path, query } = splitRequestTarget(c.target);
      // Characters of the path itself, not the hex digits of an escape already there.
      const escapable = [...path].flatMap((ch, i) =>
        /[A-Za-z0-9\-_~:*]/.test(ch) && !path.slice(Math.max(0, i - 2), i).includes('%') ? [i] : [],
      );
      if (escapable.length === 0) return;
      const at = escapable[position % escapable.length] ?? 0;
      const respelled = `${path.slice(0, at)}${percentEscape(path[at] ?? '')}${path.slice(at + 1)}`;
      assert.deepEqual(
        parseKubernetesRequest({ method: c.method, path: respelled, query }),
        parseKubernetesRequest({ method: c.method, path, query }),
      );
    }),
    { numRuns: 2000 },
  );
});
