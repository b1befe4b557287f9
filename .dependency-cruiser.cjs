// The layering rules of the workspace, checked by `make lint` with dependency-cruiser.
// docs/layering.md explains the packages and why the rules are what they are.
//
// Paths in the rules are relative to the repository root, after resolution: a workspace package imported by
// name (`@airlock/sidecar`) resolves through the pnpm symlink in node_modules and its package.json `exports`
// to the real file (`sidecar/src/index.ts`), so one path rule covers both spellings of an import.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

// The top-level folders of the workspace; bench/ and scripts/ belong to the root package.
const PACKAGES = ['crds', 'contracts', 'runtime', 'operator', 'sidecar', 'kubectl-approve', 'build', 'testkit', 'e2e', 'bench', 'scripts'];
// The packages that ship: in the image (docs/adr/0016-image-without-a-daemon.md) or as the kubectl plugin.
const SHIPPED = ['crds', 'contracts', 'runtime', 'operator', 'sidecar', 'kubectl-approve'];

// Test code: tests, and anything under a testing/ folder (fixtures, corpora, harness pieces).
const TEST_FILE = '[.]test[.]ts$';
const TESTING_FOLDER = '(^|/)testing/';
// Harness packages that never ship: the test kit, the end-to-end scenarios and the benchmarks (which run real
// PostgreSQL and PgBouncer servers from the test kit). All of their files count as test code.
const HARNESS = '^(testkit|e2e|bench)/';
const TEST_CODE = [TEST_FILE, TESTING_FOLDER, HARNESS];

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const anyOf = (names) => `(${names.map(escapeRegExp).join('|')})`;

// The files a package exposes by name: the targets of its package.json `exports`, as repository paths.
function exportedFiles(pkg) {
  const { exports = {} } = JSON.parse(readFileSync(join(__dirname, pkg, 'package.json'), 'utf8'));
  const targets =
    typeof exports === 'string' ? [exports] : Object.values(exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
  return targets.map((target) => `^${escapeRegExp(`${pkg}/${target.replace(/^\.\//, '')}`)}$`);
}

// Modules that reach outside the process: files, sockets, processes, threads.
const NODE_IO = ['fs', 'net', 'http', 'https', 'http2', 'child_process', 'dgram', 'dns', 'tls', 'worker_threads', 'cluster'];

module.exports = {
  forbidden: [
    {
      name: 'production-imports-test-code',
      comment:
        'Production code never imports test code (the test kit, a testing/ folder or a *.test.ts file): test helpers start ' +
        'servers, weaken checks and pull in test-only dependencies that are not installed in a deployed image.',
      severity: 'error',
      from: { pathNot: TEST_CODE },
      to: { path: TEST_CODE },
    },
    {
      name: 'shipped-code-imports-build-tools',
      comment:
        'The build tools (@airlock/build: pinned Go tools, the image build) build and package airlock; they are not ' +
        'shipped, so the code that ships (crds, contracts, runtime, operator, sidecar, kubectl-approve) never imports them.',
      severity: 'error',
      from: { path: `^${anyOf(SHIPPED)}/`, pathNot: TEST_CODE },
      to: { path: '^build/' },
    },
    {
      name: 'operator-or-plugin-imports-sidecar',
      comment:
        'The operator and the kubectl plugin are separate programs from the sidecar: what they must agree on lives in ' +
        '@airlock/contracts. Their production code never imports the sidecar package.',
      severity: 'error',
      from: { path: '^(operator|kubectl-approve)/', pathNot: TEST_CODE },
      to: { path: '^sidecar/' },
    },
    {
      name: 'operator-or-plugin-tests-use-sidecar-internals',
      comment:
        "Operator and kubectl plugin tests may drive the sidecar only through its public entry points (sidecar/package.json's " +
        '`exports`), so the sidecar can be restructured without breaking other packages’ tests.',
      severity: 'error',
      from: { path: '^(operator|kubectl-approve)/' },
      to: { path: '^sidecar/', pathNot: exportedFiles('sidecar') },
    },
    {
      name: 'sidecar-core-imports-a-protocol',
      comment:
        'The sidecar core (sidecar/src/core) is protocol-neutral: protocols depend on it, never the reverse. Only the ' +
        'protocol registry and the edges (broker, config, in-process, sidecar.ts, main.ts) know the protocols.',
      severity: 'error',
      from: { path: '^sidecar/src/core/' },
      to: { path: '^sidecar/src/protocols/' },
    },
    {
      name: 'protocol-imports-another-protocol',
      comment:
        'Each protocol (sidecar/src/protocols/<protocol>/) stands alone on the core; what two protocols share belongs in ' +
        'the core. A protocol does not import the registry (sidecar/src/protocols/registry.ts) either: the registry imports ' +
        'every protocol.',
      severity: 'error',
      from: { path: '^sidecar/src/protocols/([^/]+)/' },
      to: { path: '^sidecar/src/protocols/', pathNot: '^sidecar/src/protocols/$1/' },
    },
    {
      name: 'relative-import-across-packages',
      comment:
        'A relative import never leaves its package folder: another package is imported by its name (@airlock/...), so ' +
        'the importing package declares the dependency and only gets what the other one exports.',
      severity: 'error',
      from: { path: `^${anyOf(PACKAGES)}/` },
      to: { dependencyTypes: ['local'], pathNot: '^$1/' },
    },
    {
      name: 'contracts-imports-a-component',
      comment: '@airlock/contracts is what the components agree on, so it depends on none of them (only on @airlock/crds, the API).',
      severity: 'error',
      from: { path: '^contracts/' },
      to: { path: `^${anyOf(PACKAGES.filter((p) => p !== 'contracts' && p !== 'crds'))}/` },
    },
    {
      name: 'contracts-does-io',
      comment:
        '@airlock/contracts is pure: it computes, it does no I/O, so each component can run it wherever it likes and its ' +
        'tests need no files, sockets or processes. node:crypto (hashing) is fine.',
      severity: 'error',
      from: { path: '^contracts/' },
      to: { dependencyTypes: ['core'], path: `^(node:)?${anyOf(NODE_IO)}(/promises)?$` },
    },
    {
      name: 'crds-imports-a-workspace-package',
      comment: '@airlock/crds is the API itself, at the bottom of the stack: it imports no other workspace package.',
      severity: 'error',
      from: { path: '^crds/' },
      to: { path: `^${anyOf(PACKAGES.filter((p) => p !== 'crds'))}/` },
    },
    {
      name: 'runtime-imports-a-workspace-package',
      comment:
        '@airlock/runtime holds process mechanisms every component shares (logger, health server, backoff, pki): ' +
        'plumbing below the API, so it imports no workspace package at all.',
      severity: 'error',
      from: { path: '^runtime/' },
      to: { path: `^${anyOf(PACKAGES.filter((p) => p !== 'runtime'))}/` },
    },
    {
      name: 'workspace-import-not-exported',
      comment:
        'Another workspace package is imported only through what its package.json `exports` lists. The resolver below ' +
        'honours `exports` as Node does, so `@airlock/x/some/file.ts` that x does not export cannot be resolved and lands ' +
        'here (TypeScript refuses it too), as does a workspace package linked neither into the importer’s node_modules ' +
        'nor the root’s. A relative path into another package is caught by relative-import-across-packages.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, path: '^@airlock/' },
    },
  ],
  options: {
    // Third-party code and build output are not ours to layer. Generated sources (crds/src/generated) stay in:
    // they are part of their package and cost nothing to read.
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: '(^|/)node_modules/|^[.]tools/|(^|/)dist/' },
    moduleSystems: ['es6', 'cjs'],
    // `import type` counts: a type-only import still couples the two packages.
    tsPreCompilationDeps: true,
    // `process.getBuiltinModule('node:fs')` counts as importing node:fs (contracts-does-io).
    detectProcessBuiltinModuleCalls: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolve like Node does for this workspace: follow pnpm's symlinks to the real package folders, honour
    // `exports` (default condition) and import `.ts` files by their own names.
    preserveSymlinks: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      mainFields: ['main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
