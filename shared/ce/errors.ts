/**
 * Errors of computing elements. The site director catches both: after either it leaves the element
 * alone for a few cycles (DIRAC's FailedQueueCycleFactor), and it logs the message as it is.
 */
import { MuonError } from '#shared/errors.ts';

/** The batch system refused or failed a request in a way waiting will not fix (a bad partition...). */
export class ComputingElementError extends MuonError {
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(options?.code ?? 'ce.failed', 502, message, options);
  }
}

/**
 * The batch system cannot be reached or asks to slow down (controller down, throttling, a network
 * error): try again later.
 */
export class ComputingElementUnavailableError extends ComputingElementError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'ce.unavailable', ...options });
  }
}
