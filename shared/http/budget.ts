/**
 * A request's time budget. API Gateway ends every request at 30 s and answers 504 whatever the
 * function still does, so bulk work (submission, kill, delete, reschedule, status updates) checks
 * its budget (`limits.requestBudgetSeconds`, 20 s) before each new piece, stops starting new pieces
 * once it is spent, and answers with what it did per job. DIRAC's services have no such limit
 * (DISET calls may run for minutes); DiracX inherits it behind a gateway.
 */
export interface Budget {
  readonly seconds: number;
  /** Whether no new piece of work should start. */
  spent(): boolean;
}

export function startBudget(seconds: number, now: () => number = () => performance.now()): Budget {
  const end = now() + seconds * 1000;
  return { seconds, spent: () => now() >= end };
}

/** For work that is not bound to an HTTP request (an SQS consumer has its own timeout). */
export const unlimitedBudget: Budget = { seconds: Number.POSITIVE_INFINITY, spent: () => false };
