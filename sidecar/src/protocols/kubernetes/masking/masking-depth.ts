/**
 * The masker walks JSON recursively. JSON.parse accepts nesting deeper than the call stack allows
 * the walk; such a response (no Kubernetes object is nested that deep) is refused like one that
 * does not parse, rather than crash the proxy or pass unmasked.
 */
import { KubernetesMaskingError } from './masking-error.ts';

export function maskingDepthGuard<T>(mask: () => T): T {
  try {
    return mask();
  } catch (error) {
    if (error instanceof RangeError)
      throw new KubernetesMaskingError('NotJson', 'the response is nested too deeply to be masked; it is refused', { cause: error });
    throw error;
  }
}
