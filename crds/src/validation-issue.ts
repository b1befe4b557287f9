/** One problem in a document: where (a dotted path such as spec.rules[0].action) and what. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('\n');
}
