/**
 * Errors of the controller machinery. Each has a stable `code` callers can switch on and a
 * message that says what to do; the API server's own refusals stay `KubeApiError` (client.ts).
 */
export type KubeMachineryErrorCode =
  | 'InvalidLeaderElectionTimings'
  | 'StatusWithoutResourceVersion'
  | 'ObjectWithoutName'
  | 'InformerStopped'
  | 'InvalidObjectKey'
  | 'ControllerAlreadyStarted';

export class KubeMachineryError extends Error {
  readonly code: KubeMachineryErrorCode;

  constructor(code: KubeMachineryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeMachineryError';
    this.code = code;
  }
}
