/**
 * DIRAC's JobsStateMachine (DIRACCommon Client/JobStatus.py), written out again on purpose, apart
 * from shared/jobs/status.ts: if the module's table drifts, the matrices in the tests fail.
 */
import type { JobStatus } from '#shared/jobs/status.ts';

/** DIRAC's 16 major statuses, in level order. */
export const ALL = [
  'Submitting',
  'Received',
  'Checking',
  'Scouting',
  'Staging',
  'Waiting',
  'Matched',
  'Rescheduled',
  'Running',
  'Stalled',
  'Completing',
  'Completed',
  'Done',
  'Failed',
  'Killed',
  'Deleted',
] as const satisfies readonly JobStatus[];

/** `current → allowed`, as DIRAC's table has it. */
export const DIRAC_TABLE: Record<JobStatus, JobStatus[]> = {
  Submitting: ['Received', 'Checking', 'Deleted', 'Killed'],
  Received: ['Scouting', 'Checking', 'Staging', 'Waiting', 'Failed', 'Deleted', 'Killed'],
  Checking: ['Scouting', 'Staging', 'Waiting', 'Rescheduled', 'Failed', 'Deleted', 'Killed'],
  Scouting: ['Checking', 'Failed', 'Stalled', 'Killed'],
  Staging: ['Checking', 'Waiting', 'Failed', 'Killed'],
  Waiting: ['Matched', 'Rescheduled', 'Deleted', 'Killed'],
  Matched: ['Running', 'Failed', 'Rescheduled', 'Killed'],
  Rescheduled: ['Waiting', 'Received', 'Deleted', 'Failed', 'Killed'],
  Running: ['Stalled', 'Done', 'Failed', 'Rescheduled', 'Completing', 'Killed', 'Received'],
  Stalled: ['Running', 'Failed', 'Killed'],
  Completing: ['Done', 'Failed', 'Completed', 'Stalled', 'Killed'],
  Completed: ['Done', 'Failed'],
  Done: ['Deleted'],
  Failed: ['Rescheduled', 'Deleted'],
  Killed: ['Deleted'],
  Deleted: [],
};
