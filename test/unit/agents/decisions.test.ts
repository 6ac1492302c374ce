/** What the scheduled agents decide for one job, sandbox or pilot, as of a given time. */
import { describe, expect, it } from 'vitest';
import { removalCutoff, removalVerdict } from '#shared/agents/job-cleaning.ts';
import { isStale, lastHeardOf } from '#shared/agents/pilot-status.ts';
import { sandboxVerdict } from '#shared/agents/sandbox-cleaning.ts';
import { judge, lastSignOfLife, pilotState } from '#shared/agents/stalled-jobs.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { rescheduleWrite } from '#shared/jobs/transitions/reschedule.ts';

const config = loadConfigFile('config/muon.yaml');
const { stalledJobs, cleaning, pilots } = config.agents;
const t0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
const epochAt = (seconds: number) => t0 + seconds * 1000;

const job = (fields: Partial<JobRecord>): JobRecord =>
  ({
    jobId: 1,
    vo: 'vo',
    owner: 'alice',
    status: 'Running',
    minorStatus: 'Application',
    applicationStatus: 'Unknown',
    site: 'LOCAL.localhost.local',
    lastUpdateTime: at(0),
    lastStatusTime: at(0),
    submissionTime: at(-100),
    rescheduleCounter: 0,
    commands: [],
    parameters: {},
    history: [],
    version: 3,
    ...fields,
  }) as JobRecord;

describe('Agent settings', () => {
  it("take DIRAC's defaults, in seconds", () => {
    expect(stalledJobs).toEqual({
      stalledAfterSeconds: 4500,
      failAfterSeconds: 11_700,
      pilotGoneAfterSeconds: 1800,
      rescheduleWhenPilotGone: true,
      matchedTimeoutSeconds: 7200,
      rescheduledTimeoutSeconds: 600,
      maxJobsPerRun: 500,
    });
    expect(cleaning.removeAfterSeconds).toEqual({
      Done: 604_800,
      Failed: 604_800,
      Killed: 604_800,
      Deleted: 0,
    });
    expect(cleaning.orphanSandboxAfterSeconds).toBe(15 * 86_400);
    expect(pilots.stalePilotAfterSeconds).toBe(3 * 86_400);
    expect(pilots.purgeAfterSeconds).toEqual({ Done: 2_592_000, Failed: 2_592_000, Aborted: 604_800 });
  });
});

describe('StalledJobs agent', () => {
  it('counts the newest of heartbeat, last update and start as the last sign of life', () => {
    expect(lastSignOfLife(job({ lastUpdateTime: at(0), heartBeatTime: at(50), startExecTime: at(10) }))).toBe(
      epochAt(50),
    );
    expect(lastSignOfLife(job({ lastUpdateTime: at(70), heartBeatTime: at(50) }))).toBe(epochAt(70));
  });

  it('stalls a Running or Completing job silent for longer than stalledAfterSeconds, not before', () => {
    for (const status of ['Running', 'Completing'] as const) {
      const silent = job({ status, heartBeatTime: at(0) });
      expect(judge(silent, stalledJobs, epochAt(4500))).toBeUndefined();
      expect(judge(silent, stalledJobs, epochAt(4501))).toEqual({ act: 'stall' });
    }
    expect(judge(job({ status: 'Waiting' }), stalledJobs, epochAt(100_000))).toBeUndefined();
  });

  it('reschedules a Stalled job whose pilot is gone, at once', () => {
    const stalled = job({ status: 'Stalled', lastUpdateTime: at(0) });
    expect(judge(stalled, stalledJobs, epochAt(1), 'gone')).toEqual({ act: 'reschedule' });
    expect(judge(stalled, stalledJobs, epochAt(1), 'alive')).toBeUndefined();
  });

  it('fails it instead, as DIRAC does, when rescheduleWhenPilotGone is off', () => {
    const stalled = job({ status: 'Stalled' });
    expect(judge(stalled, { ...stalledJobs, rescheduleWhenPilotGone: false }, epochAt(1), 'gone')).toEqual({
      act: 'fail',
      minorStatus: 'Job stalled: pilot not running',
    });
  });

  it('fails a Stalled job whose pilot lives once it stalled for failAfterSeconds', () => {
    const stalled = job({ status: 'Stalled', lastUpdateTime: at(0) });
    expect(judge(stalled, stalledJobs, epochAt(11_700), 'alive')).toBeUndefined();
    expect(judge(stalled, stalledJobs, epochAt(11_701), 'alive')).toEqual({
      act: 'fail',
      minorStatus: 'Stalling for more than 11700 sec',
    });
  });

  it('reschedules Matched jobs after matchedTimeoutSeconds and Rescheduled ones after rescheduledTimeoutSeconds', () => {
    expect(judge(job({ status: 'Matched' }), stalledJobs, epochAt(7200))).toBeUndefined();
    expect(judge(job({ status: 'Matched' }), stalledJobs, epochAt(7201))).toEqual({ act: 'reschedule' });
    expect(judge(job({ status: 'Rescheduled' }), stalledJobs, epochAt(600))).toBeUndefined();
    expect(judge(job({ status: 'Rescheduled' }), stalledJobs, epochAt(601))).toEqual({ act: 'reschedule' });
  });

  it('calls a pilot gone when it ended, was not seen for pilotGoneAfterSeconds, or is unknown', () => {
    const seen = (status: 'Running' | 'Done' | 'Failed' | 'Aborted', lastSeen: number) => ({
      status,
      lastSeenAt: at(lastSeen),
    });
    expect(pilotState(seen('Running', 0), stalledJobs, epochAt(1800))).toBe('alive');
    expect(pilotState(seen('Running', 0), stalledJobs, epochAt(1801))).toBe('gone');
    for (const ended of ['Done', 'Failed', 'Aborted'] as const)
      expect(pilotState(seen(ended, 0), stalledJobs, epochAt(1))).toBe('gone');
    expect(pilotState(undefined, stalledJobs, epochAt(1))).toBe('gone');
  });
});

describe('Rescheduling', () => {
  it('sends the job back to Received, counting, and clears the last run', () => {
    const running = job({ status: 'Stalled', startExecTime: at(0), heartBeatTime: at(1), taskQueueId: 'tq' });
    const done = rescheduleWrite(running, { time: at(10), maxRescheduling: 3, source: 'StalledJobAgent' });
    expect(done).toMatchObject({
      from: ['Stalled'],
      to: 'Received',
      minorStatus: 'Job Rescheduled',
      applicationStatus: 'Unknown',
      add: { rescheduleCounter: 1 },
      set: { rescheduleTime: at(10) },
    });
    expect(done.remove).toEqual(expect.arrayContaining(['startExecTime', 'taskQueueId']));
    expect(done.history.map((h) => [h.status, h.source])).toEqual([
      ['Rescheduled', 'StalledJobAgent'],
      ['Received', 'StalledJobAgent'],
    ]);
    // The counter is checked by the write itself, so two reschedules at once cannot pass the limit.
    expect(done.guard?.expression).toContain('#gCounter < :gMax');
  });

  it('fails a job at the maximum and tells a pilot that may run it to kill it', () => {
    const last = job({ status: 'Stalled', rescheduleCounter: 3 });
    const failed = rescheduleWrite(last, { time: at(10), maxRescheduling: 3, source: 'StalledJobAgent' });
    expect(failed).toMatchObject({
      to: 'Failed',
      minorStatus: 'Maximum of reschedulings reached',
      commands: [{ command: 'Kill', issuedAt: at(10) }],
    });
    const waiting = rescheduleWrite(job({ status: 'Failed', rescheduleCounter: 3 }), {
      time: at(10),
      maxRescheduling: 3,
      source: 'JobManager',
    });
    expect(waiting.commands).toBeUndefined();
  });
});

describe('JobCleaning agent', () => {
  it('removes a job last updated before its status cutoff, and stops at jobs submitted after it', () => {
    const cutoff = removalCutoff('Done', cleaning, epochAt(7 * 86_400 + 10));
    expect(cutoff).toBe(epochAt(10));
    expect(removalVerdict({ submissionTime: at(-5), lastUpdateTime: at(10) }, cutoff)).toBe('remove');
    expect(removalVerdict({ submissionTime: at(-5), lastUpdateTime: at(11) }, cutoff)).toBe('skip');
    expect(removalVerdict({ submissionTime: at(11), lastUpdateTime: at(12) }, cutoff)).toBe('end');
  });

  it('removes Deleted jobs at once', () => {
    const now = epochAt(0);
    expect(
      removalVerdict(
        { submissionTime: at(-5), lastUpdateTime: at(0) },
        removalCutoff('Deleted', cleaning, now),
      ),
    ).toBe('remove');
  });

  it('removes a never-assigned sandbox after orphanSandboxAfterSeconds, an assigned one only once released', () => {
    const orphan = { assigned: false, lastAccessTime: at(0) };
    expect(sandboxVerdict(orphan, cleaning, epochAt(15 * 86_400))).toBe('keep');
    expect(sandboxVerdict(orphan, cleaning, epochAt(15 * 86_400 + 1))).toBe('remove');
    const used = { assigned: true, lastAccessTime: at(0) };
    expect(sandboxVerdict(used, cleaning, epochAt(86_400))).toBe('keep');
    expect(sandboxVerdict(used, cleaning, epochAt(86_401))).toBe('ifUnassigned');
  });
});

describe('PilotStatus agent', () => {
  it('hears of a pilot last by the newest of its times, and calls it stale after stalePilotAfterSeconds', () => {
    const pilot = { updatedAt: at(0), registeredAt: at(0), lastSeenAt: at(100) };
    expect(lastHeardOf(pilot)).toBe(epochAt(100));
    expect(isStale(pilot, pilots, epochAt(100 + 3 * 86_400))).toBe(false);
    expect(isStale(pilot, pilots, epochAt(101 + 3 * 86_400))).toBe(true);
    expect(isStale({ updatedAt: at(0), submittedAt: at(0) } as never, pilots, epochAt(3 * 86_400 + 1))).toBe(
      true,
    );
  });
});
