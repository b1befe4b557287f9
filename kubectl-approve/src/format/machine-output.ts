/**
 * `-o json`, `-o yaml` and `-o name`, shaped as kubectl prints them so existing tooling (jq,
 * yq, `xargs kubectl ...`) works: objects as the API server returned them, managedFields left
 * out, lists as a v1 List in the table's order. Pure and stable: the same objects give the same
 * bytes, whatever order the server listed them in.
 */
import type { ApprovalRequest } from '@airlock/crds';
import { stringify } from 'yaml';
import { sortRequests } from './request-table.ts';

export type MachineFormat = 'json' | 'yaml' | 'name';

export const RESOURCE = 'approvalrequest.airlock.dev';

/** The object without metadata.managedFields (kubectl's --show-managed-fields=false). */
export function withoutManagedFields(request: ApprovalRequest): ApprovalRequest {
  const { managedFields: _, ...metadata } = request.metadata as ApprovalRequest['metadata'] & { managedFields?: unknown };
  return { ...request, metadata };
}

export function formatObject(request: ApprovalRequest, format: MachineFormat): string {
  if (format === 'name') return `${RESOURCE}/${request.metadata.name}\n`;
  const clean = withoutManagedFields(request);
  return format === 'json' ? `${JSON.stringify(clean, null, 4)}\n` : stringify(clean);
}

export function formatList(requests: readonly ApprovalRequest[], format: MachineFormat): string {
  const items = sortRequests(requests).map(withoutManagedFields);
  if (format === 'name') return items.map((r) => `${RESOURCE}/${r.metadata.name}\n`).join('');
  const list = { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
  return format === 'json' ? `${JSON.stringify(list, null, 4)}\n` : stringify(list);
}
