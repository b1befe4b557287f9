/**
 * The one error the Kubernetes response masker throws. The proxy cannot pass a response it failed
 * to mask (the agent would see what the policy hides), so every code tells the caller to refuse
 * the response, and the message says why, for the agent and the session record.
 */

export type KubernetesMaskingErrorCode = 'NotJson' | 'EventTooLarge' | 'BodyTooLarge';

export class KubernetesMaskingError extends Error {
  override readonly name = 'KubernetesMaskingError';
  readonly code: KubernetesMaskingErrorCode;

  constructor(code: KubernetesMaskingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
