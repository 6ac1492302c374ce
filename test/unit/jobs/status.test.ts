import { describe, expect, it } from 'vitest';
import type { JobStatus } from '#shared/jobs/status.ts';
import {
  allowedTransitions,
  canTransition,
  finalStatuses,
  isFinalStatus,
  jobStatuses,
  jobStatusSchema,
  minorStatus,
  reallyFinal,
} from '#shared/jobs/status.ts';
import { ALL, DIRAC_TABLE } from '#test/unit/jobs/dirac-table.ts';

describe('job statuses', () => {
  it("are DIRAC's 16 major statuses in level order", () => {
    expect([...jobStatuses]).toEqual([...ALL]);
  });

  it('parse only those 16 names, spelled as DIRAC spells them', () => {
    for (const status of ALL) expect(jobStatusSchema.parse(status)).toBe(status);
    expect(jobStatusSchema.safeParse('running').success).toBe(false);
    expect(jobStatusSchema.safeParse('Submitted').success).toBe(false);
  });

  it('call Done, Completed, Failed and Killed final, and only Deleted really final', () => {
    expect([...finalStatuses].sort()).toEqual(['Completed', 'Done', 'Failed', 'Killed']);
    expect([...reallyFinal]).toEqual(['Deleted']);
    expect(ALL.filter((status) => isFinalStatus(status))).toEqual(['Completed', 'Done', 'Failed', 'Killed']);
  });
});

describe('the transition table', () => {
  it('has a row for every status', () => {
    expect(Object.keys(allowedTransitions).sort()).toEqual([...ALL].sort());
  });

  // 16 rows × 16 targets: every allowed pair accepted, every other pair refused.
  for (const from of ALL) {
    it(`lets ${from} move to exactly ${describeRow(from)}`, () => {
      const expected = ALL.filter((to) => to === from || (DIRAC_TABLE[from] ?? []).includes(to));
      expect(ALL.filter((to) => canTransition(from, to))).toEqual(expected);
    });
  }

  it('treats staying in the same status as no transition, allowed even for Deleted', () => {
    for (const status of ALL) expect(canTransition(status, status)).toBe(true);
  });

  it('gives Deleted no way out (DIRAC lets getNextState return anything: fixed)', () => {
    expect(ALL.filter((to) => to !== 'Deleted' && canTransition('Deleted', to))).toEqual([]);
  });
});

describe('minor statuses', () => {
  it("are spelled exactly as DIRAC's JobMinorStatus and executors write them", () => {
    expect(minorStatus.jobAccepted).toBe('Job accepted');
    expect(minorStatus.bulkTransactionConfirmation).toBe('Bulk transaction confirmation');
    expect([
      minorStatus.jobPath,
      minorStatus.jobSanity,
      minorStatus.inputData,
      minorStatus.jobScheduling,
    ]).toEqual(['JobPath', 'JobSanity', 'InputData', 'JobScheduling']);
    expect(minorStatus.pilotAgentSubmission).toBe('Pilot Agent Submission');
    expect(minorStatus.assigned).toBe('Assigned');
    expect(minorStatus.applicationFinishedSuccessfully).toBe('Application Finished Successfully');
    expect(minorStatus.executionComplete).toBe('Execution Complete');
    expect(minorStatus.markedForTermination).toBe('Marked for termination');
    expect(minorStatus.maximumReschedulingsReached).toBe('Maximum of reschedulings reached');
    expect(minorStatus.inputDataNotAvailable).toBe('Input Data Not Available');
    expect(minorStatus.watchdogStalled).toBe('Watchdog identified this job as stalled');
  });

  it('fit the 128-character MinorStatus column', () => {
    for (const text of Object.values(minorStatus)) expect(text.length).toBeLessThanOrEqual(128);
  });
});

function describeRow(from: JobStatus): string {
  const row = DIRAC_TABLE[from] ?? [];
  return row.length === 0 ? 'nothing else' : row.join(', ');
}
