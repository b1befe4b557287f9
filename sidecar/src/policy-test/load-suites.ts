/**
 * Reads everything a run needs before anything runs: the test files (a directory stands for its
 * .yaml and .yml files), and every policy file they name, each read and checked once however many
 * tests name it. All problems are collected and thrown together, so one run shows an author
 * everything to fix; a run never starts on input that is partly wrong.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { AirlockValidator } from '@airlock/crds';
import { type InputProblem, PolicyTestError } from './errors.ts';
import { type ManifestFile, readManifestFile } from './manifest-file.ts';
import { resolveSuite, type Suite } from './resolve-suite.ts';
import { parsePolicyTest } from './test-file-format.ts';
import { parseYamlDocuments } from './yaml-documents.ts';

const isYaml = (name: string): boolean => name.endsWith('.yaml') || name.endsWith('.yml');

const reason = (error: unknown): string => {
  if (error instanceof Error) return 'code' in error && typeof error.code === 'string' ? error.code : error.message;
  return String(error);
};

const unreadable = (file: string, error: unknown): InputProblem => ({
  code: 'UnreadableFile',
  file,
  message: `cannot read it (${reason(error)}); check the path (policy files under files: are relative to the test file)`,
});

/** The test files the arguments name, in order; a directory gives its YAML files, sorted. */
async function testFiles(paths: readonly string[], problems: InputProblem[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    try {
      if (!(await stat(path)).isDirectory()) {
        files.push(path);
        continue;
      }
      const found = (await readdir(path)).filter(isYaml).sort();
      if (found.length === 0)
        problems.push({ code: 'UnreadableFile', file: path, message: 'the directory has no .yaml or .yml test files' });
      files.push(...found.map((name) => join(path, name)));
    } catch (error) {
      problems.push(unreadable(path, error));
    }
  }
  return files;
}

/** Policy files by path; a file's problems are reported by the first test that reads it. */
class ManifestCache {
  readonly #files = new Map<string, ManifestFile>();
  readonly #validator: AirlockValidator;
  readonly #problems: InputProblem[];

  constructor(validator: AirlockValidator, problems: InputProblem[]) {
    this.#validator = validator;
    this.#problems = problems;
  }

  async read(file: string): Promise<ManifestFile | undefined> {
    const cached = this.#files.get(file);
    if (cached) return cached.problems.length > 0 ? undefined : cached;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const manifest = { objects: [], problems: [unreadable(file, error)] };
      this.#files.set(file, manifest);
      this.#problems.push(...manifest.problems);
      return undefined;
    }
    const manifest = readManifestFile(file, text, this.#validator);
    this.#files.set(file, manifest);
    this.#problems.push(...manifest.problems);
    return manifest.problems.length > 0 ? undefined : manifest;
  }
}

export async function loadSuites(paths: readonly string[], validator: AirlockValidator): Promise<Suite[]> {
  const problems: InputProblem[] = [];
  const manifests = new ManifestCache(validator, problems);
  const suites: Suite[] = [];
  for (const file of await testFiles(paths, problems)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      problems.push(unreadable(file, error));
      continue;
    }
    const parsed = parseYamlDocuments(file, text);
    problems.push(...parsed.problems);
    if (parsed.documents.length === 0 && parsed.problems.length === 0) {
      problems.push({ code: 'InvalidTestFile', file, message: 'the file has no PolicyTest document' });
    }
    for (const document of parsed.documents) {
      const site = { file, document: document.index, line: document.line, lineOf: document.lineOf };
      const test = parsePolicyTest(document.value);
      if (!test.ok) {
        for (const issue of test.issues) {
          problems.push({
            code: 'InvalidTestFile',
            file,
            line: document.lineOf(issue.path),
            document: document.index,
            ...(issue.path ? { field: issue.path } : {}),
            message: issue.message,
          });
        }
        continue;
      }
      const read: (ManifestFile | undefined)[] = [];
      for (const entry of test.value.files) read.push(await manifests.read(isAbsolute(entry) ? entry : join(dirname(file), entry)));
      // A policy file with problems has them reported already; resolving without it would add confusing follow-ups.
      if (read.some((manifest) => manifest === undefined)) continue;
      const objects = read.flatMap((manifest) => manifest?.objects ?? []);
      const name = parsed.documents.length > 1 ? `${basename(file)} #${document.index}` : basename(file);
      const resolved = resolveSuite(test.value, objects, site, name);
      if (resolved.ok) suites.push(resolved.suite);
      else problems.push(...resolved.problems);
    }
  }
  if (problems.length > 0) throw PolicyTestError.invalidInput(problems);
  return suites;
}
