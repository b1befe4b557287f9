/** The text of `airlock-policy-test --help`. */
export const USAGE = `usage: airlock-policy-test [--output text|json] TEST_FILE_OR_DIRECTORY...

Runs SQL statements, SSH command lines and Kubernetes API requests through ApprovalPolicies
without a cluster, with the sidecar's own classifier, shell analysis, request parser and decision
code, and checks each decision against what the test expects. A directory stands for its .yaml and .yml files.

  -o, --output FORMAT   text (default): one block per case with ✓ or ✗, the classification
                        (sql: kinds, commands, objects, functions; ssh: each program with its
                        arguments, writes and sudo user; kubernetes: the request in kubectl
                        terms, its verb, resource, namespace or scope), the policy and rule that decided,
                        and the decision; json: the same as one JSON document
  -h, --help            this text

Exit status: 0 every case passed; 1 a case got another decision, policy or rule than expected;
2 wrong arguments, or a test file or policy that is not valid (nothing is run); 3 the command
itself failed (a bug).

A test file (YAML; several documents may share a file):

  apiVersion: cli.airlock.dev/v1alpha1
  kind: PolicyTest
  files:                      # relative to this file; only ApprovalPolicies, Targets and
    - ../prod-db-policy.yaml  # AgentIdentities are read, other documents are skipped
    - ../postgres-target.yaml
  target: orders-db           # a Target of the files, or {name, type, namespace, labels}
  identity:                   # or an AgentIdentity of the files by name; default: an agent
    name: ci-migrations       # named policy-test-agent with no groups
    groups: [ci]
  cases:
    - name: TRUNCATE is never allowed
      sql: TRUNCATE orders
      expect: deny            # allow | deny | requireApproval
      policy: prod-databases  # optional: the policy that decided
      rule: no-truncate       # optional: the rule, or defaultAction
    - sql: SELECT * FROM orders WHERE id = 7
      expect: allow
      target: {name: orders-staging, namespace: agents, labels: {env: staging}}   # per case
    - ssh: systemctl restart build-agent   # an exec command line, for an ssh Target
      expect: requireApproval
      target: build-host
    - kubernetes: DELETE /apis/apps/v1/namespaces/prod-eu/deployments/orders   # a request
      expect: requireApproval              # line, METHOD /path?query, for a kubernetes Target
      target: cluster-api
    - sql: SELECT * FROM orders WHERE id = 7
      expect: requireApproval              # asked by a sub-agent's sub-agent (0: the agent itself)
      identity: {ref: ci-migrations, delegationDepth: 2}   # inline: {name, groups, delegationDepth}

Example:
  airlock-policy-test crds/examples/policy-tests
  airlock-policy-test --output json policies/tests/ > results.json

See docs/policy-testing.md.
`;
