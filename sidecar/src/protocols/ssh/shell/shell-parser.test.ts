import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShellParser } from './shell-parser.ts';

test('loading leaves the process as it was: Error.stackTraceLimit and no global require', () => {
  const limit = Error.stackTraceLimit;
  const parser = ShellParser.load();
  assert.equal(Error.stackTraceLimit, limit);
  assert.equal(Object.hasOwn(globalThis, 'require'), false);
  assert.ok(parser.parse('ls').ok);
});

test('every redirection operator gets its own number, learned from the parser', () => {
  const { operators } = ShellParser.load();
  assert.equal(operators.redirect.size, 12);
  assert.equal(new Set(operators.redirect.values()).size, 8);
  assert.equal(operators.arithmeticTests.size, 6);
  assert.equal(operators.nameTests.size, 2);
});

test('a syntax error and a stack overflow are failures with a reason, and the next parse works', () => {
  const parser = ShellParser.load();
  const unterminated = parser.parse("echo 'x");
  assert.equal(unterminated.ok, false);
  assert.match(unterminated.ok ? '' : unterminated.reason, /does not parse as bash: 1:6: reached EOF without closing quote/);
  const deep = parser.parse(`${'('.repeat(20_000)}ls${')'.repeat(20_000)}`);
  assert.equal(deep.ok, false);
  assert.match(deep.ok ? '' : deep.reason, /nests too deeply|does not parse/);
  assert.ok(parser.parse('ls -l').ok);
});
