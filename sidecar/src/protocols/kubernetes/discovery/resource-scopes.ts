/**
 * Whether a resource is namespaced, as the Target's API server says in discovery: the scope of a
 * request without a namespace (cluster-scoped, or across all namespaces) depends on it, and an
 * allow rule decides differently for the two (ADR 0025). Learned per group version (GET /api/v1,
 * /apis/<group>/<version>), kept for ten minutes, fetched once for all requests that wait on it.
 *
 * When discovery fails or does not list the resource, the scope stays unknown and the request is
 * read as both (kubernetes-request-facts.ts): stricter, never looser. A custom resource created a
 * moment ago is learned on the next fetch.
 */
import type { ResourceScopeLookup } from '@airlock/contracts/policy';
import type { Logger } from 'pino';
import type { UpstreamHttpClient } from '../../../core/http/upstream-client.ts';
import { upstreamRequest } from '../upstream/upstream-json.ts';

const TTL_MS = 10 * 60_000;
/** A request waits at most this long for discovery before it is decided with the scope unknown. */
const WAIT_MS = 5_000;

interface GroupVersionScopes {
  readonly namespaced: ReadonlyMap<string, boolean>;
  readonly fetchedAt: number;
}

export interface ResourceScopesDeps {
  readonly client: () => Promise<UpstreamHttpClient>;
  readonly clock: () => number;
  readonly logger: Logger;
}

export class ResourceScopes {
  readonly #deps: ResourceScopesDeps;
  readonly #known = new Map<string, GroupVersionScopes>();
  readonly #fetching = new Map<string, Promise<void>>();

  constructor(deps: ResourceScopesDeps) {
    this.#deps = deps;
  }

  /** What is known now; undefined when not (yet). */
  readonly lookup: ResourceScopeLookup = ({ apiGroup, apiVersion, resource }) =>
    this.#known.get(groupVersionPath(apiGroup, apiVersion))?.namespaced.get(resource);

  /** Learns the group version's resources unless they are known and fresh; never throws. */
  async learn(apiGroup: string, apiVersion: string): Promise<void> {
    const path = groupVersionPath(apiGroup, apiVersion);
    const known = this.#known.get(path);
    if (known && this.#deps.clock() - known.fetchedAt < TTL_MS) return;
    let fetching = this.#fetching.get(path);
    if (!fetching) {
      fetching = this.#fetch(path).finally(() => this.#fetching.delete(path));
      this.#fetching.set(path, fetching);
    }
    await fetching;
  }

  async #fetch(path: string): Promise<void> {
    const signal = AbortSignal.timeout(WAIT_MS);
    try {
      const answer = await upstreamRequest(await this.#deps.client(), { method: 'GET', path, signal });
      if (answer.status !== 200) {
        this.#deps.logger.warn({ path, status: answer.status }, 'discovery refused: scopes of its resources stay unknown');
        return;
      }
      const list = JSON.parse(answer.body.toString('utf8')) as { resources?: { name?: unknown; namespaced?: unknown }[] };
      const namespaced = new Map<string, boolean>();
      for (const resource of list.resources ?? []) {
        if (typeof resource.name === 'string' && typeof resource.namespaced === 'boolean' && !resource.name.includes('/')) {
          namespaced.set(resource.name, resource.namespaced);
        }
      }
      this.#known.set(path, { namespaced, fetchedAt: this.#deps.clock() });
    } catch (error) {
      this.#deps.logger.warn({ path, error: (error as Error).message }, 'discovery failed: scopes of its resources stay unknown');
    }
  }
}

function groupVersionPath(apiGroup: string, apiVersion: string): string {
  return apiGroup === '' ? `/api/${apiVersion}` : `/apis/${apiGroup}/${apiVersion}`;
}
