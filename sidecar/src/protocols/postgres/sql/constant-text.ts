/**
 * A literal's value as text, the way PostgreSQL hands a constant to a setting or a function that
 * takes text: `'role'`, `E'\x72ole'`, `$$role$$` and `U&'\0072ole'` all arrive as the String
 * `role`; `0` arrives as an Integer whose value the JSON leaves out.
 */
import type { A_Const } from 'libpg-query';

/** The constant's text; undefined for NULL and bit strings, which no setting name or value is. */
export function constantText(constant: A_Const): string | undefined {
  if (constant.isnull === true) return undefined;
  if (constant.sval !== undefined) return constant.sval.sval ?? '';
  if (constant.ival !== undefined) return String(constant.ival.ival ?? 0);
  if (constant.fval !== undefined) return constant.fval.fval ?? '';
  if (constant.boolval !== undefined) return constant.boolval.boolval === true ? 'true' : 'false';
  return undefined;
}
