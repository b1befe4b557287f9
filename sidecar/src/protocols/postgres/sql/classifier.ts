/**
 * Classifies the text of a Query (or Parse) message with PostgreSQL's own parser (libpg-query,
 * WASM) and caches the result.
 *
 * Two caches, both LRU:
 * - by exact text: a repeated statement costs one map lookup;
 * - by normalized text (libpg-query replaces every literal with $n): `WHERE id = 7` reuses the
 *   classification of `WHERE id = 6`, because kinds, commands, objects and functions do not depend
 *   on literal values. The exceptions (set_config('role', ...), SET client_encoding = 'SJIS',
 *   LANGUAGE 'plpython3u': see dependsOnConstants) are never cached this way. The `text` of a
 *   reused result is the caller's own. Only single-statement texts go in this cache.
 *
 * classify() never throws: what cannot be parsed or classified comes back as one `unknown`
 * statement, which policy fails closed on. Text that is empty or only comments has no statements
 * at all, as PostgreSQL answers it with EmptyQueryResponse and runs nothing.
 */
import { fingerprintSync, loadModule, normalizeSync, parseSync } from 'libpg-query';
import { nodeOf } from './ast-walk.ts';
import type { BatchClassification, StatementClassification } from './classification.ts';
import { classifyStatement, unknownStatement } from './classify-statement.ts';
import { LruCache } from './lru-cache.ts';
import { estimateNesting } from './nesting-estimate.ts';

export interface SqlClassifierOptions {
  /** Entries in each of the two caches. Default 1000; 0 turns caching off. */
  readonly cacheSize?: number;
  /** Longer texts (in UTF-8 bytes) are `unknown` without being parsed. Default 1 MiB. */
  readonly maxLength?: number;
  /**
   * Longer texts (in characters) are classified but not cached. With the default 8 Ki and 1000
   * entries, the two caches hold at most about 32 MB of text.
   */
  readonly maxCachedLength?: number;
}

export interface ClassifierStats {
  /** classify() calls answered from a cache (exact or normalized text). */
  readonly hits: number;
  /** classify() calls that parsed (or refused) the text. */
  readonly misses: number;
}

const DEFAULT_CACHE_SIZE = 1000;
const DEFAULT_MAX_LENGTH = 1024 * 1024;
const DEFAULT_MAX_CACHED_LENGTH = 8 * 1024;

/**
 * Nesting estimates (nesting-estimate.ts) above which libpg-query is not called. Measured with
 * libpg-query 18.1.5 on Node 24, called from a shallow stack: normalize overflowed the JavaScript
 * stack from 770 (384 chained NOTs; other shapes from 1535), parse from 11265 (5632 chained
 * COLLATEs; sums of terms from 19455), fingerprint from 21506. The limits leave a factor of four
 * for a deeper calling stack. Texts over the parse limit are `unknown`; texts over the normalize
 * limit are classified, just not cached by normalized text.
 */
export const PARSE_NESTING_LIMIT = 2800;
export const NORMALIZE_NESTING_LIMIT = 190;

interface NormalizedEntry {
  readonly statement: StatementClassification;
  readonly fingerprint: string | undefined;
}

interface ParsedBatch {
  readonly batch: BatchClassification;
  /** The batch is one statement whose classification holds for any literal values. */
  readonly reusable: boolean;
}

export class SqlClassifier {
  readonly #byText: LruCache<string, BatchClassification>;
  readonly #byNormalizedText: LruCache<string, NormalizedEntry>;
  readonly #maxLength: number;
  readonly #maxCachedLength: number;
  readonly #caching: boolean;
  #hits = 0;
  #misses = 0;

  /** Loads the parser (once per process; later calls return at once) and builds a classifier. */
  static async create(options: SqlClassifierOptions = {}): Promise<SqlClassifier> {
    await loadModule();
    return new SqlClassifier(options);
  }

  /** Use create(): the parser must be loaded before classify() is called. */
  private constructor(options: SqlClassifierOptions) {
    const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.#byText = new LruCache(cacheSize);
    this.#byNormalizedText = new LruCache(cacheSize);
    this.#caching = cacheSize > 0;
    this.#maxLength = positive('maxLength', options.maxLength ?? DEFAULT_MAX_LENGTH);
    this.#maxCachedLength = positive('maxCachedLength', options.maxCachedLength ?? DEFAULT_MAX_CACHED_LENGTH);
  }

  stats(): ClassifierStats {
    return { hits: this.#hits, misses: this.#misses };
  }

  classify(text: string): BatchClassification {
    try {
      return this.#classify(text);
    } catch (error) {
      // Not expected (each step below catches its own failures), but a classifier that throws
      // would let the caller choose what happens; unknown makes policy fail closed.
      this.#misses++;
      return { statements: [unknownStatement(text.trim(), `the classifier failed: ${messageOf(error)}`)], cached: false };
    }
  }

  #classify(text: string): BatchClassification {
    const bytes = text.length > this.#maxLength ? text.length : Buffer.byteLength(text, 'utf8');
    if (bytes > this.#maxLength) {
      this.#misses++;
      const reason = `the statement text is over ${this.#maxLength} bytes, the most the classifier parses`;
      return { statements: [unknownStatement(text.trim(), reason)], cached: false };
    }

    if (text.includes('\0')) {
      // libpg-query reads a C string, so it would see only what precedes the NUL.
      this.#misses++;
      return { statements: [unknownStatement(text.trim(), 'the statement text contains a NUL character')], cached: false };
    }

    const cached = this.#byText.get(text);
    if (cached !== undefined) {
      this.#hits++;
      return { ...cached, cached: true };
    }

    const nesting = estimateNesting(text);
    if (nesting > PARSE_NESTING_LIMIT) {
      this.#misses++;
      const reason = `the statement nests too deeply for the classifier to parse safely (estimate ${nesting}, limit ${PARSE_NESTING_LIMIT})`;
      const batch = freeze({ statements: [unknownStatement(text.trim(), reason)], cached: false });
      this.#remember(text, batch);
      return batch;
    }

    // A text too long to cache is not normalized: it could only find an entry by luck, and on a
    // long text normalizing costs about as much as parsing, on the event loop (limits.maxStatementBytes).
    const normalized =
      this.#caching && nesting <= NORMALIZE_NESTING_LIMIT && text.length <= this.#maxCachedLength ? normalize(text.trim()) : undefined;
    const reused = normalized === undefined ? undefined : this.#byNormalizedText.get(normalized);
    if (reused !== undefined) {
      this.#hits++;
      const batch = freeze({ statements: [{ ...reused.statement, text: text.trim() }], fingerprint: reused.fingerprint, cached: false });
      this.#remember(text, batch);
      return { ...batch, cached: true };
    }

    this.#misses++;
    const { batch, reusable } = parse(text);
    const frozen = freeze(batch);
    this.#remember(text, frozen);
    const [only] = frozen.statements;
    if (reusable && normalized !== undefined && only !== undefined && text.length <= this.#maxCachedLength) {
      this.#byNormalizedText.set(normalized, { statement: only, fingerprint: frozen.fingerprint });
    }
    return frozen;
  }

  #remember(text: string, batch: BatchClassification): void {
    if (text.length <= this.#maxCachedLength) this.#byText.set(text, batch);
  }
}

function parse(text: string): ParsedBatch {
  if (text.trim() === '') return { batch: { statements: [], cached: false }, reusable: false };
  let raw: ReturnType<typeof parseSync>;
  try {
    raw = parseSync(text);
  } catch (error) {
    return { batch: { statements: [unknownStatement(text.trim(), messageOf(error))], cached: false }, reusable: false };
  }
  const stmts = raw.stmts ?? [];
  const fingerprint = fingerprintOf(text);
  if (stmts.length === 1) {
    const statement = classifyOne(stmts[0]?.stmt, text.trim());
    const batch: BatchClassification = { statements: [statement.classification], fingerprint, cached: false };
    return { batch, reusable: !statement.dependsOnConstants };
  }
  // Several statements: locations are UTF-8 byte offsets into the text.
  const bytes = Buffer.from(text, 'utf8');
  const statements = stmts.map((stmt) => {
    const start = stmt.stmt_location ?? 0;
    const end = stmt.stmt_len ? start + stmt.stmt_len : bytes.length;
    return classifyOne(stmt.stmt, bytes.subarray(start, end).toString('utf8').trim()).classification;
  });
  return { batch: { statements, fingerprint, cached: false }, reusable: false };
}

function classifyOne(stmt: unknown, text: string): { classification: StatementClassification; dependsOnConstants: boolean } {
  const node = nodeOf(stmt);
  if (node === undefined)
    return { classification: unknownStatement(text, 'the parser returned no statement node'), dependsOnConstants: true };
  try {
    return classifyStatement(node, text);
  } catch (error) {
    // A tree too deep for the walker's recursion, say: unknown, and never reused.
    return { classification: unknownStatement(text, `the classifier failed: ${messageOf(error)}`), dependsOnConstants: true };
  }
}

function normalize(text: string): string | undefined {
  try {
    return normalizeSync(text);
  } catch {
    return undefined;
  }
}

function fingerprintOf(text: string): string | undefined {
  try {
    return fingerprintSync(text);
  } catch {
    return undefined;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Cached results are shared by every caller; freezing them keeps one caller from changing another's. */
function freeze(batch: BatchClassification): BatchClassification {
  for (const statement of batch.statements) {
    Object.freeze(statement.kinds);
    Object.freeze(statement.commands);
    Object.freeze(statement.objects);
    Object.freeze(statement.functions);
    Object.freeze(statement);
  }
  Object.freeze(batch.statements);
  return Object.freeze(batch);
}
