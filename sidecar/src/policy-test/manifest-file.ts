/**
 * What the test needs from one policy file: its ApprovalPolicies, Targets and AgentIdentities,
 * each checked as the API server would (AirlockValidator) and each policy compiled as the
 * operator does before it serves one to a sidecar. Other documents (Secrets, ServiceAccounts,
 * ApprovalRequests, anything else) are skipped: a policy repository keeps them side by side.
 */

import { MIN_HASH_KEY_BYTES } from '@airlock/contracts/masking';
import { compileProblems } from '@airlock/contracts/policy';
import { type AgentIdentity, type AirlockValidator, type ApprovalPolicy, GROUP, type Target, type ValidationIssue } from '@airlock/crds';
import type { InputProblem } from './errors.ts';
import { parseYamlDocuments, type YamlDocument } from './yaml-documents.ts';

/** Where an object was read from. */
export interface Origin {
  readonly file: string;
  readonly document: number;
  readonly line: number;
}

export type ManifestObject =
  | { readonly kind: 'ApprovalPolicy'; readonly object: ApprovalPolicy; readonly origin: Origin }
  | { readonly kind: 'Target'; readonly object: Target; readonly origin: Origin }
  | { readonly kind: 'AgentIdentity'; readonly object: AgentIdentity; readonly origin: Origin };

export interface ManifestFile {
  readonly objects: readonly ManifestObject[];
  readonly problems: readonly InputProblem[];
}

const KINDS: readonly string[] = ['ApprovalPolicy', 'Target', 'AgentIdentity'];

/**
 * The key of a hash masking rule is a cluster Secret this command never reads. Any key of the
 * minimum length lets every other masking check run; decisions do not depend on it.
 */
const STAND_IN_HASH_KEY = new Uint8Array(MIN_HASH_KEY_BYTES).fill(1);

function fieldOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

/** `ApprovalPolicy agents/prod-databases`, from whatever the document has. */
export function objectLabel(kind: string, value: unknown): string {
  const metadata = fieldOf(value, 'metadata');
  const name = fieldOf(metadata, 'name');
  const namespace = fieldOf(metadata, 'namespace');
  if (typeof name !== 'string') return kind;
  return `${kind} ${typeof namespace === 'string' ? `${namespace}/` : ''}${name}`;
}

/** Only airlock's own kinds are read; a Secret or someone else's `Target` kind is not ours to judge. */
function isOurs(value: unknown): boolean {
  const apiVersion = fieldOf(value, 'apiVersion');
  const kind = fieldOf(value, 'kind');
  return typeof apiVersion === 'string' && apiVersion.startsWith(`${GROUP}/`) && typeof kind === 'string' && KINDS.includes(kind);
}

/** The rules and masking of a valid policy, compiled as the operator's policy check does. */
function policyProblems(policy: ApprovalPolicy): ValidationIssue[] {
  const hashKey = policy.spec.masking?.hashKeySecretRef ? STAND_IN_HASH_KEY : undefined;
  const config = { name: policy.metadata.name ?? '', namespace: policy.metadata.namespace ?? '', spec: policy.spec };
  return compileProblems(config, hashKey).map((problem) =>
    problem.kind === 'rules'
      ? { path: 'spec.rules', message: problem.message }
      : { path: `spec.masking.rules[${problem.index < 0 ? problem.rule : problem.index}].${problem.field}`, message: problem.message },
  );
}

function readDocument(file: string, document: YamlDocument, validator: AirlockValidator): ManifestFile {
  const { value } = document;
  if (!isOurs(value)) return { objects: [], problems: [] };
  const kind = String(fieldOf(value, 'kind'));
  const object = objectLabel(kind, value);
  const problem = (code: InputProblem['code'], issue: ValidationIssue): InputProblem => ({
    code,
    file,
    line: document.lineOf(issue.path),
    document: document.index,
    object,
    field: issue.path,
    message: issue.message,
  });
  const result = validator.validate(value);
  if (!result.ok) return { objects: [], problems: result.issues.map((issue) => problem('InvalidObject', issue)) };
  const origin: Origin = { file, document: document.index, line: document.line };
  const valid = result.value;
  switch (valid.kind) {
    case 'ApprovalPolicy': {
      const issues = policyProblems(valid);
      if (issues.length > 0) return { objects: [], problems: issues.map((issue) => problem('PolicyDoesNotCompile', issue)) };
      return { objects: [{ kind: 'ApprovalPolicy', object: valid, origin }], problems: [] };
    }
    case 'Target':
      return { objects: [{ kind: 'Target', object: valid, origin }], problems: [] };
    case 'AgentIdentity':
      return { objects: [{ kind: 'AgentIdentity', object: valid, origin }], problems: [] };
    default:
      return { objects: [], problems: [] };
  }
}

/** Reads the text of one policy file. `file` is only used to say where a problem is. */
export function readManifestFile(file: string, text: string, validator: AirlockValidator): ManifestFile {
  const parsed = parseYamlDocuments(file, text);
  const objects: ManifestObject[] = [];
  const problems: InputProblem[] = [...parsed.problems];
  for (const document of parsed.documents) {
    const read = readDocument(file, document, validator);
    objects.push(...read.objects);
    problems.push(...read.problems);
  }
  return { objects, problems };
}
