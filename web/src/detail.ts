/**
 * The API's error `detail` as the page shows it (no DOM: the unit tests load it): a string as it
 * is, a CWL refusal's `message` (which lists every issue), a production action's refused steps one
 * by one; anything else as JSON.
 */

interface StepAnswer {
  readonly step: string;
  readonly done: boolean;
  readonly message?: string;
}

export function describeDetail(detail: unknown): string | undefined {
  if (typeof detail === 'string') return detail;
  if (typeof detail !== 'object' || detail === null) return undefined;
  if ('message' in detail && typeof detail.message === 'string') return detail.message;
  if ('steps' in detail && Array.isArray(detail.steps)) {
    const refused = refusedSteps(detail.steps as StepAnswer[]);
    if (refused.length > 0) return refused.join('; ');
  }
  return JSON.stringify(detail);
}

/** `step: why` for each step an action did not reach. */
export const refusedSteps = (steps: readonly StepAnswer[]): string[] =>
  steps.filter((s) => !s.done).map((s) => `${s.step}: ${s.message ?? 'not done'}`);
