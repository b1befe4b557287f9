import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { BARE_STRUCT_FIELDS } from './ast-fields.ts';

/** The @pgsql/types declarations that the installed libpg-query was built with. */
function installedTypes(): { types: string; enums: string } {
  const fromLibpgQuery = createRequire(createRequire(import.meta.url).resolve('libpg-query'));
  const directory = dirname(fromLibpgQuery.resolve('@pgsql/types/package.json'));
  return { types: readFileSync(join(directory, 'types.d.ts'), 'utf8'), enums: readFileSync(join(directory, 'enums.d.ts'), 'utf8') };
}

test('BARE_STRUCT_FIELDS lists exactly the struct-typed fields of the installed parser types', () => {
  const { types, enums } = installedTypes();
  const enumNames = new Set([...enums.matchAll(/export type (\w+) =/g)].map((match) => match[1]));
  const derived: Record<string, Record<string, string>> = {};
  let current: string | undefined;
  for (const line of types.split('\n')) {
    const declaration = /^export interface (\w+) \{/.exec(line);
    if (declaration) {
      current = declaration[1];
      continue;
    }
    const field = /^ {4}(\w+)\?: ([A-Z]\w*)(\[\])?;$/.exec(line);
    if (current === undefined || !field || ['ParseResult', 'ScanResult', 'SummaryResult'].includes(current)) continue;
    const name = field[1]!;
    const type = field[2]!;
    if (type === 'Node' || enumNames.has(type)) continue;
    // The walker types bare structs in plain fields only; a list of them would need more than this table.
    assert.equal(field[3], undefined, `${current}.${name} is a list of bare ${type}`);
    const fields = derived[current] ?? {};
    fields[name] = type;
    derived[current] = fields;
  }
  assert.deepEqual(BARE_STRUCT_FIELDS, derived);
});
