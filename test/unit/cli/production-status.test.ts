import { describe, expect, it } from 'vitest';
import { formatProduction, stepProgress } from '#cli/commands/production-status.ts';
import type { ProductionView } from '#shared/productions/model.ts';

const files = (Unused: number, Assigned: number, Processed: number, Problematic: number) => ({
  Unused,
  Assigned,
  Processed,
  Problematic,
});

const view: ProductionView = {
  productionId: '7',
  name: 'demo',
  owner: 'alice',
  state: 'Active',
  createdAt: '2026-12-07T00:00:00Z',
  steps: [
    {
      step: 'generate',
      transformationId: 1,
      type: 'MCSimulation',
      state: 'Completed',
      files: files(0, 0, 0, 0),
      jobs: { Done: 4 },
      tasks: 4,
      taskCounts: { Done: 4 },
    },
    {
      step: 'process',
      transformationId: 2,
      type: 'DataProcessing',
      state: 'Active',
      files: files(10, 10, 19, 1),
      jobs: { Done: 4, Running: 2, Waiting: 0 },
    },
    { step: 'merge', type: '', state: 'Creating', files: files(0, 0, 0, 0), jobs: {} },
  ],
};

describe('muon production status', () => {
  it('counts a generation by tasks and a query step by settled files', () => {
    expect(stepProgress(view.steps[0] as never)).toEqual({ done: 4, total: 4 });
    expect(stepProgress(view.steps[1] as never)).toEqual({ done: 20, total: 40 });
  });

  it('shows the production, a row per step with files and jobs by status, and a bar per step', () => {
    expect(formatProduction(view)).toBe(
      [
        'Production 7 (demo): Active',
        '',
        'STEP      TRANSFORMATION  STATE      UNUSED  ASSIGNED  PROCESSED  PROBLEMATIC  JOBS',
        'generate  1               Completed  -       -         -          -            Done 4',
        'process   2               Active     10      10        19         1            Done 4, Running 2',
        'merge     -               Creating   0       0         0          0            -',
        '',
        'generate [##############################] 4/4 100%',
        'process  [###############···············] 20/40  50%',
        'merge    (its transformation is being created)',
      ].join('\n'),
    );
  });
});
