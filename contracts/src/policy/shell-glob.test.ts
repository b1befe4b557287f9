import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compileShellGlob, SHELL_DYNAMIC } from './shell-glob.ts';

const D = SHELL_DYNAMIC;
const strict = (pattern: string, value: string): boolean => compileShellGlob(pattern, 'strict')(value);
const lenient = (pattern: string, value: string): boolean => compileShellGlob(pattern, 'lenient')(value);

describe('strict (allow) globs', () => {
  test('* stops at /, ** does not, ? is one character but not /', () => {
    assert.ok(strict('/tmp/*', '/tmp/a'));
    assert.ok(!strict('/tmp/*', '/tmp/a/b'));
    assert.ok(strict('/tmp/**', '/tmp/a/b'));
    assert.ok(strict('restart *', 'restart orders'));
    assert.ok(!strict('restart *', 'restart /etc/x'));
    assert.ok(strict('a?c', 'abc'));
    assert.ok(!strict('a?c', 'a/c'));
    assert.ok(!strict('a?c', 'ac'));
  });

  test('case counts', () => {
    assert.ok(strict('rm', 'rm'));
    assert.ok(!strict('rm', 'RM'));
  });

  test('text filled in at run time is covered only by **', () => {
    assert.ok(strict('restart **', `restart ${D}`));
    assert.ok(!strict('restart *', `restart ${D}`));
    assert.ok(!strict('restart ?', `restart ${D}`));
    assert.ok(!strict(`restart ${D}`, `restart ${D}`), 'a pattern cannot name the placeholder itself');
    assert.ok(strict('**.log', `${D}.log`));
    assert.ok(!strict('*.log', `${D}.log`));
  });

  test('a climb out of a directory is covered only by a pattern of nothing but **', () => {
    assert.ok(!strict('/tmp/**', '/tmp/../etc/passwd'));
    assert.ok(!strict('**/x', '/a/../x'));
    assert.ok(strict('**', '/tmp/../etc/passwd'));
    assert.ok(strict('/tmp/../x', '/tmp/../x'), 'a literal pattern says exactly what it allows');
    assert.ok(strict('log *', 'log HEAD..main'), 'two dots inside a word are not a segment');
  });
});

describe('lenient (deny, approval) globs', () => {
  test('* and ? also match /, case does not count', () => {
    assert.ok(lenient('-rf *', '-rf /'));
    assert.ok(lenient('/tmp/*', '/tmp/a/b'));
    assert.ok(lenient('RM', 'rm'));
    assert.ok(lenient('a?c', 'a/c'));
  });

  test('text filled in at run time matches whatever it could be', () => {
    assert.ok(lenient('-rf /', `-rf ${D}`));
    assert.ok(lenient('-rf /', `${D}`));
    assert.ok(lenient('-rf /', `-rf /${D}`), 'it can be empty');
    assert.ok(lenient('/etc/passwd', `/etc/${D}`));
    assert.ok(!lenient('/etc/passwd', `/var/${D}`));
    assert.ok(!lenient('-rf /', `-rf /x${D}`));
    assert.ok(lenient('a*b', `${D}`));
  });
});

describe('both readings', () => {
  const texts = fc.string({ unit: fc.constantFrom('a', 'b', '/', '.', ' ', D), maxLength: 10 });
  const patterns = fc.string({ unit: fc.constantFrom('a', 'b', '/', '.', ' ', '*', '?'), maxLength: 8 });

  test('strict matching implies lenient matching', () => {
    fc.assert(fc.property(patterns, texts, (pattern, value) => !strict(pattern, value) || lenient(pattern, value)));
  });

  test('strict: covering a value with a placeholder means covering every text it could stand for', () => {
    const fillings = fc.string({ unit: fc.constantFrom('a', '/', '.', ' ', 'b'), maxLength: 4 });
    fc.assert(
      fc.property(patterns, texts, fillings, (pattern, value, filling) => {
        if (!strict(pattern, value)) return true;
        return strict(pattern, value.split(D).join(filling)) || /(^|[/\s])\.\.($|[/\s])/.test(value.split(D).join(filling));
      }),
    );
  });

  test('lenient: a value some filling matches is matched', () => {
    const fillings = fc.string({ unit: fc.constantFrom('a', '/', 'b'), maxLength: 3 });
    fc.assert(
      fc.property(patterns, texts, fillings, (pattern, value, filling) => {
        const filled = value.split(D).join(filling);
        return !lenient(pattern, filled) || lenient(pattern, value);
      }),
    );
  });
});
