/**
 * Builds what one PostgreSQL session needs: the protocol-neutral session context (policies
 * compiled with the SQL rule matcher, masking rules, recorder, metrics; core/session) plus what
 * reads PostgreSQL's wire: the classifier, the DataRow masker built from the compiled masking
 * rules, the cancel keys and the statement limit.
 */

import type { CompiledRule } from '@airlock/contracts/masking';
import { compileSqlMatch, type SqlFacts } from '@airlock/contracts/policy';
import type { AgentPrincipal } from '../../core/ports.ts';
import { createSessionContexts, type SessionContextDeps } from '../../core/session/session-context.ts';
import type { CancelRegistry } from './cancel-registry.ts';
import { maskerFor } from './masking/compile-masking.ts';
import type { Masker } from './masking/row-masker.ts';
import type { PgSessionServices } from './session/services.ts';
import type { BatchClassification } from './sql/classification.ts';

export interface PgSessionFactoryDeps extends Omit<SessionContextDeps<SqlFacts>, 'protocol' | 'compileMatch'> {
  readonly classify: (text: string) => BatchClassification;
  readonly cancels: CancelRegistry;
  readonly limits: { readonly maxStatementBytes: number };
}

export function createPgSessionFactory(deps: PgSessionFactoryDeps) {
  const contexts = createSessionContexts<SqlFacts>({ ...deps, protocol: 'postgres', compileMatch: compileSqlMatch });
  // The compiled rules are one array per (config, principal); their masker is built once, not per session.
  const maskers = new WeakMap<readonly CompiledRule[], Masker>();
  const maskerOf = (rules: readonly CompiledRule[]): Masker => {
    let masker = maskers.get(rules);
    if (!masker) {
      masker = maskerFor(rules);
      maskers.set(rules, masker);
    }
    return masker;
  };
  return (input: {
    sessionId: string;
    principal: AgentPrincipal;
    clientAddress: string;
    parameters: ReadonlyMap<string, string>;
  }): PgSessionServices => {
    const context = contexts({
      sessionId: input.sessionId,
      principal: input.principal,
      clientAddress: input.clientAddress,
      startupParameters: Object.fromEntries(input.parameters),
    });
    return {
      sessionId: context.sessionId,
      target: context.target,
      principal: context.principal,
      policies: context.policies,
      classify: deps.classify,
      ...(context.maskingRules ? { masker: maskerOf(context.maskingRules) } : {}),
      gate: context.gate,
      windowGrants: context.windowGrants,
      cancels: deps.cancels,
      record: context.record,
      metrics: context.metrics,
      logger: context.logger,
      limits: deps.limits,
      clock: context.clock,
    };
  };
}
