/**
 * A reviewer's decision as `kubectl approve` makes it: the status patch the plugin builds
 * (appendReviewPatch) with the caller's user and groups from SelfSubjectReview, sent by the real
 * kubectl as that user. Returns kubectl's result; the API server's admission policy decides.
 */
import type { ApprovalRequest } from '@airlock/crds';
import { appendReviewPatch } from '@airlock/kubectl-approve/review-patch';
import type { ControlPlane, TestUserName } from '@airlock/testkit';

export async function reviewAs(
  plane: ControlPlane,
  user: TestUserName,
  request: { readonly metadata: { readonly name: string; readonly namespace: string } },
  decision: 'Approve' | 'Deny',
  reason?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { name, namespace } = request.metadata;
  const whoami = await plane.kubectl(['auth', 'whoami', '-o', 'json'], { user });
  if (whoami.code !== 0) return whoami;
  const current = await plane.kubectl(['get', 'approvalrequests.airlock.dev', name, '-n', namespace, '-o', 'json']);
  if (current.code !== 0) return current;
  const me = JSON.parse(whoami.stdout).status.userInfo;
  const patch = JSON.stringify(
    appendReviewPatch(JSON.parse(current.stdout) as ApprovalRequest, {
      me: { username: me.username, groups: me.groups },
      decision,
      reason,
      now: new Date(),
    }),
  );
  return plane.kubectl(
    ['patch', 'approvalrequests.airlock.dev', name, '-n', namespace, '--subresource=status', '--type=json', '-p', patch],
    {
      user,
    },
  );
}
