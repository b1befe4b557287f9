/**
 * Whether a statement the server logged was one the fuzz policy forbids: the logged text is
 * classified afresh (as UTF-8 with standard strings, which is how the server read it now that
 * those settings are pinned) and decided by the same policy. A logged statement that the policy
 * denies, or that changes a pinned setting, reached the server although it must not have.
 */

import { compilePolicy, compileSqlMatch, decide } from '@airlock/contracts/policy';
import type { ApprovalPolicySpec } from '@airlock/crds';
import type { SqlClassifier } from '../../../sql/classifier.ts';

/** What the fuzzed sidecar enforces: reads, session settings and transactions; nothing else. */
export const FUZZ_POLICY: ApprovalPolicySpec = {
  rules: [{ name: 'reads', match: { sql: { statementKinds: ['read', 'session', 'transaction'] } }, action: 'allow' }],
  defaultAction: 'deny',
};

export class FuzzOracle {
  readonly #classifier: SqlClassifier;
  readonly #policies = [compilePolicy({ name: 'fuzz', namespace: 'agents', spec: FUZZ_POLICY }, compileSqlMatch)];

  constructor(classifier: SqlClassifier) {
    this.#classifier = classifier;
  }

  /** Why the logged text must not have reached the server, or undefined when it was allowed. */
  forbidden(text: string): string | undefined {
    for (const statement of this.#classifier.classify(text).statements) {
      if (statement.changesPinnedSetting !== undefined) return `changes ${statement.changesPinnedSetting}: ${statement.text}`;
      const decision = decide(statement, this.#policies);
      if (decision.action !== 'allow') return `${decision.reason}: ${statement.text}`;
    }
    return undefined;
  }
}
