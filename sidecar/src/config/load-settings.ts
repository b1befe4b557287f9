/**
 * Reads and validates the sidecar's settings file (YAML or JSON). Every problem is reported with
 * the path of the field, and the sidecar refuses to start: a proxy that guesses its policy is
 * worse than one that is down.
 */
import { readFile } from 'node:fs/promises';
import { TARGET_TYPE_FACTS } from '@airlock/contracts/targets';
import { AirlockValidator, type ApprovalPolicy, formatIssues, type Target, type ValidationIssue } from '@airlock/crds';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import type { PolicyConfig, TargetConfig } from '../core/ports.ts';
import type { StaticSidecarConfig } from '../in-process/static-config.ts';
import { typedCredentials } from '../in-process/static-credentials.ts';
import { SETTINGS_SCHEMA, type SidecarSettings } from './sidecar-config.ts';

export class SettingsError extends Error {
  readonly code = 'InvalidSettings';
  readonly issues: readonly ValidationIssue[];
  constructor(source: string, issues: readonly ValidationIssue[]) {
    super(`invalid sidecar settings in ${source}:\n${formatIssues(issues)}`);
    this.name = 'SettingsError';
    this.issues = issues;
  }
}

export interface LoadedSettings {
  readonly settings: SidecarSettings;
  /** The schema requires the principal: a settings file without one does not load. */
  readonly config: StaticSidecarConfig;
  readonly credentials: SidecarSettings['controlPlane']['static']['credentials'];
  readonly agentTokens?: readonly string[];
}

const ajvPath = (instancePath: string): string =>
  instancePath
    .replace(/^\//, '')
    .replace(/\/(\d+)(?=\/|$)/g, '[$1]')
    .replace(/\//g, '.');

export function parseSettings(document: unknown, source = 'settings'): LoadedSettings {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
  const validate = ajv.compile<SidecarSettings>(SETTINGS_SCHEMA);
  const copy: unknown = structuredClone(document);
  if (!validate(copy)) {
    throw new SettingsError(
      source,
      (validate.errors ?? []).map((error) => ({
        path: [ajvPath(error.instancePath), error.keyword === 'additionalProperties' ? String(error.params.additionalProperty) : '']
          .filter(Boolean)
          .join('.'),
        message: error.keyword === 'additionalProperties' ? 'unknown field' : (error.message ?? 'invalid'),
      })),
    );
  }
  const settings = copy;
  const crds = new AirlockValidator();
  const issues: ValidationIssue[] = [];
  const targets: TargetConfig[] = [];
  const policies: PolicyConfig[] = [];
  const plane = settings.controlPlane.static;
  plane.targets.forEach((doc, i) => {
    const result = crds.validate<Target>(doc);
    if (!result.ok || result.value.kind !== 'Target') {
      issues.push(
        ...(result.ok ? [{ path: 'kind', message: 'must be Target' }] : result.issues).map((issue) => ({
          ...issue,
          path: `controlPlane.static.targets[${i}].${issue.path}`,
        })),
      );
      return;
    }
    const { metadata, spec } = result.value;
    targets.push({
      name: metadata.name ?? '',
      namespace: metadata.namespace ?? plane.principal.namespace,
      labels: metadata.labels ?? {},
      spec,
    });
  });
  plane.policies.forEach((doc, i) => {
    const result = crds.validate<ApprovalPolicy>(doc);
    if (!result.ok || result.value.kind !== 'ApprovalPolicy') {
      issues.push(
        ...(result.ok ? [{ path: 'kind', message: 'must be ApprovalPolicy' }] : result.issues).map((issue) => ({
          ...issue,
          path: `controlPlane.static.policies[${i}].${issue.path}`,
        })),
      );
      return;
    }
    policies.push({
      name: result.value.metadata.name ?? '',
      namespace: result.value.metadata.namespace ?? plane.principal.namespace,
      spec: result.value.spec,
    });
  });
  // A target of a type this sidecar serves is listened for, and its sessions need credentials of its type.
  for (const target of targets) {
    if (!TARGET_TYPE_FACTS[target.spec.type].served) continue;
    const path = `controlPlane.static.credentials.${target.name}`;
    const entry = plane.credentials[target.name];
    if (!entry) {
      issues.push({ path, message: `required: credentials for ${target.spec.type} target ${target.name}` });
      continue;
    }
    const typed = typedCredentials(target.spec.type, entry);
    if ('problem' in typed) issues.push({ path, message: typed.problem });
  }
  if (issues.length > 0) throw new SettingsError(source, issues);
  const principal = plane.principal;
  return {
    settings,
    credentials: plane.credentials,
    ...(plane.agentTokens ? { agentTokens: plane.agentTokens } : {}),
    config: {
      principal: { ...principal, groups: principal.groups ?? [], ...(principal.labels ? { labels: principal.labels } : {}) },
      targets,
      policies,
      maskingKeys: plane.maskingKeys ?? {},
    },
  };
}

export async function loadSettingsFile(path: string): Promise<LoadedSettings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SettingsError(path, [{ path: '', message: `cannot read the file: ${(error as Error).message}` }]);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new SettingsError(path, [{ path: '', message: `not valid YAML or JSON: ${(error as Error).message}` }]);
  }
  return parseSettings(document, path);
}
