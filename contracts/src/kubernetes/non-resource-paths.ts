/** What a non-resource path of the API server is for, so a policy can treat discovery, OpenAPI, version and health as reads. */
import type { NonResourceCategory } from './request-info.ts';

const HEALTH_CHECKS = new Set(['healthz', 'livez', 'readyz']);

/** `segments` are a path the API server does not read as a resource request (parse-request.ts decides that). */
export function nonResourceCategory(segments: readonly string[]): NonResourceCategory {
  const [first] = segments;
  // `/` lists the served paths; /api, /api/<version>, /apis, /apis/<group> and /apis/<group>/<version> list groups and resources.
  if (first === undefined || first === 'api' || first === 'apis') return 'discovery';
  if (first === 'openapi') return 'openapi';
  if (first === 'version' && segments.length === 1) return 'version';
  if (HEALTH_CHECKS.has(first)) return 'health';
  return 'other';
}
