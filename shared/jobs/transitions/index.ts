/**
 * Every job transition and the module that owns it; nothing else writes a job's status (a unit test
 * scans the source for other writers, and docs/architecture.md's table is compared with this one).
 * `from` is DIRAC's sources of the move (`sourcesOf`, or a subset the unit test checks against the
 * table) unless `forced` says why DIRAC forces the move.
 */
import type { JobStatus } from '#shared/jobs/status.ts';
import { checkFrom, waitFrom } from '#shared/jobs/transitions/check.ts';
import { failFrom } from '#shared/jobs/transitions/fail.ts';
import { beatingIn, wakeFrom } from '#shared/jobs/transitions/heartbeat.ts';
import { deleteFrom, killFrom } from '#shared/jobs/transitions/manager.ts';
import { matchFrom } from '#shared/jobs/transitions/match.ts';
import { rescheduleFrom } from '#shared/jobs/transitions/reschedule.ts';
import { stallFrom } from '#shared/jobs/transitions/stall.ts';

export interface TransitionEntry {
  readonly name: string;
  readonly module: string;
  /** Empty for submission: the job comes into being. `'reported'`: each update is checked. */
  readonly from: readonly JobStatus[] | 'reported';
  readonly to: readonly JobStatus[] | 'reported';
  readonly calledBy: string;
  /** Why the move is not in DIRAC's table: DIRAC forces it too. */
  readonly forced?: string;
}

export const transitions: readonly TransitionEntry[] = [
  { name: 'submit', module: 'submit.ts', from: [], to: ['Received'], calledBy: 'job manager: submission' },
  { name: 'check', module: 'check.ts', from: checkFrom, to: ['Checking'], calledBy: 'executor chain' },
  {
    name: 'wait',
    module: 'check.ts',
    from: waitFrom,
    to: ['Waiting'],
    calledBy: 'executor chain: JobScheduling',
  },
  { name: 'match', module: 'match.ts', from: matchFrom, to: ['Matched'], calledBy: 'matcher: the claim' },
  {
    name: 'heartbeat',
    module: 'heartbeat.ts',
    from: wakeFrom,
    to: ['Running'],
    calledBy: `heartbeats route (beats in ${beatingIn.join(', ')} move nothing)`,
  },
  {
    name: 'report',
    module: 'report.ts',
    from: 'reported',
    to: 'reported',
    calledBy: 'status updates route: job wrapper, pilot, administrators',
  },
  { name: 'stall', module: 'stall.ts', from: stallFrom, to: ['Stalled'], calledBy: 'StalledJobs agent' },
  {
    name: 'fail',
    module: 'fail.ts',
    from: failFrom,
    to: ['Failed'],
    calledBy: 'executor chain, recovery sweep, StalledJobs agent',
  },
  { name: 'kill', module: 'manager.ts', from: killFrom, to: ['Killed'], calledBy: 'job manager: kill' },
  {
    name: 'delete',
    module: 'manager.ts',
    from: deleteFrom,
    to: ['Deleted'],
    calledBy: 'job manager: delete',
  },
  {
    name: 'reschedule',
    module: 'reschedule.ts',
    from: rescheduleFrom,
    to: ['Rescheduled', 'Received'],
    calledBy: 'job manager: reschedule (users, pilots); StalledJobs agent',
    forced: 'DIRAC JobDB.rescheduleJob forces Received',
  },
  {
    name: 'reschedule limit',
    module: 'reschedule.ts',
    from: rescheduleFrom,
    to: ['Failed'],
    calledBy: 'as reschedule, past jobs.maxRescheduling',
    forced: 'DIRAC JobDB.rescheduleJob fails the job at the limit',
  },
];

/** The table as docs/architecture.md shows it (a unit test keeps the two equal). */
export function transitionsTable(): string {
  const list = (statuses: readonly JobStatus[] | 'reported', none: string) =>
    statuses === 'reported'
      ? 'each update, checked by `applyStatusUpdates`'
      : statuses.length === 0
        ? none
        : statuses.join(', ');
  const rows = transitions.map(
    (t) =>
      `| ${t.name} | \`${t.module}\` | ${list(t.from, '(new job)')} | ${list(t.to, '')} | ${t.calledBy} | ${t.forced ?? ''} |`,
  );
  return [
    '| Transition | Module | From | To | Called by | Forced |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
