/**
 * A production's status for people: one line for the production, a table of its steps (files by
 * status, jobs by status) and a progress bar per step: Processed of all its files for a step fed
 * by a query, tasks Done of tasks asked for a generation.
 */
import { formatTable, progressLine } from '#cli/format.ts';
import type { ProductionView, StepProgress } from '#shared/productions/model.ts';

const jobSummary = (jobs: Readonly<Record<string, number>>): string =>
  Object.entries(jobs)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${status} ${count}`)
    .join(', ') || '-';

/** What a step has done of what it has, for its bar. */
export function stepProgress(step: StepProgress): { done: number; total: number } {
  if (step.tasks !== undefined) {
    return { done: step.taskCounts?.Done ?? 0, total: step.tasks };
  }
  const { Unused, Assigned, Processed, Problematic } = step.files;
  return { done: Processed + Problematic, total: Unused + Assigned + Processed + Problematic };
}

export function formatProduction(view: ProductionView): string {
  const rows = view.steps.map((step) => [
    step.step,
    step.transformationId ?? '-',
    step.state,
    step.tasks !== undefined ? '-' : step.files.Unused,
    step.tasks !== undefined ? '-' : step.files.Assigned,
    step.tasks !== undefined ? '-' : step.files.Processed,
    step.tasks !== undefined ? '-' : step.files.Problematic,
    jobSummary(step.jobs),
  ]);
  const table = formatTable(
    ['STEP', 'TRANSFORMATION', 'STATE', 'UNUSED', 'ASSIGNED', 'PROCESSED', 'PROBLEMATIC', 'JOBS'],
    rows,
  );
  const width = Math.max(...view.steps.map((step) => step.step.length));
  const bars = view.steps.map((step) => {
    if (step.state === 'Creating') return `${step.step.padEnd(width)} (its transformation is being created)`;
    const { done, total } = stepProgress(step);
    return progressLine(step.step.padEnd(width), done, total);
  });
  return [`Production ${view.productionId} (${view.name}): ${view.state}`, '', table, '', ...bars].join('\n');
}
