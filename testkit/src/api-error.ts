/** What the API server said when a @kubernetes/client-node call failed: HTTP code and Status message. */
export function apiError(error: unknown): { code: number; message: string } | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const e = error as { code: unknown; body?: unknown; message?: string };
  if (typeof e.code !== 'number') return undefined;
  let body = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // plain text body
    }
  }
  const message =
    typeof body === 'object' && body !== null && 'message' in body
      ? String((body as { message: unknown }).message)
      : String(body ?? e.message);
  return { code: e.code, message };
}
