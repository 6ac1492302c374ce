/**
 * Races between the writers of a job's status, against the real emulator: whoever wins, every
 * history is a legal path under DIRAC's table (or a forced move the transitions table declares).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobStatus } from '#shared/jobs/status.ts';
import { canUpdateStatus } from '#shared/jobs/status-updates.ts';
import { getJob } from '#shared/jobs/store/read-jobs.ts';
import { createChainTransitions } from '#shared/jobs/transitions/check.ts';
import { recordBeat } from '#shared/jobs/transitions/heartbeat.ts';
import { transitions } from '#shared/jobs/transitions/index.ts';
import { deleteJob, killJob } from '#shared/jobs/transitions/manager.ts';
import { claimJob } from '#shared/jobs/transitions/match.ts';
import { reportStatuses } from '#shared/jobs/transitions/report.ts';
import { rescheduleJob } from '#shared/jobs/transitions/reschedule.ts';
import { stallJob } from '#shared/jobs/transitions/stall.ts';
import type { TransitionStore } from '#shared/jobs/transitions/write.ts';
import { insertFixtureJobs } from '#test/integration/support/job-items.ts';
import { startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';
import { job as fixture } from '#test/unit/executors/support.ts';

let runtime: TestRuntime;
let store: TransitionStore;
let nextId = 1;
const rounds = 20;
const now = () => new Date().toISOString();

beforeAll(async () => {
  runtime = await startTestRuntime();
  store = { dynamo: runtime.aws.dynamo, table: runtime.resources.tables.jobs as string };
});
afterAll(async () => runtime?.stop());

const forced = transitions.filter((t) => t.forced);
function legal(from: JobStatus, to: JobStatus): boolean {
  if (canUpdateStatus(from, to)) return true;
  return forced.some(
    (t) => t.from !== 'reported' && t.from.includes(from) && t.to !== 'reported' && t.to.includes(to),
  );
}

/** Every applied row of the history follows from the one before under the table. */
async function expectLegalPath(jobId: number) {
  const job = (await getJob(store.dynamo, store.table, jobId)) as JobRecord;
  let at = job.history[0]?.resultingStatus as JobStatus;
  for (const row of job.history.slice(1)) {
    if (!row.applied || row.resultingStatus === at) continue;
    // Rescheduled → Received is one reschedule's two rows.
    expect(
      legal(at, row.resultingStatus),
      `${at} → ${row.resultingStatus} in ${JSON.stringify(job.history)}`,
    ).toBe(true);
    at = row.resultingStatus;
  }
  return job;
}

async function jobIn(status: JobStatus, extra: Partial<JobRecord> = {}): Promise<JobRecord> {
  const base = fixture({}, { status, ...extra });
  const record = {
    ...base,
    jobId: nextId++,
    vo: 'vo.example.org',
    lastUpdateTime: '2020-01-01T00:00:00.000Z',
    lastStatusTime: '2020-01-01T00:00:00.000Z',
    history: [
      {
        time: '2020-01-01T00:00:00.000Z',
        status,
        minorStatus: 'x',
        applicationStatus: 'x',
        source: 'test',
        resultingStatus: status,
        applied: true,
      },
    ],
    version: 1,
  } as JobRecord;
  await insertFixtureJobs(store.dynamo, store.table, [record]);
  return record;
}

describe('Job transitions under races', () => {
  it('kill against the claim: one wins, the other is decided by the table', async () => {
    for (let i = 0; i < rounds; i += 1) {
      const job = await jobIn('Waiting', { taskQueueId: 'tq' });
      const [killed, claimed] = await Promise.all([
        killJob(store, job, { time: now(), source: 'JobManager' }),
        claimJob(store, {
          vo: job.vo,
          jobId: job.jobId,
          tqId: 'tq',
          site: 'S',
          pilotReference: 'p',
          time: now(),
        }),
      ]);
      expect(killed.ok).toBe(true);
      const final = await expectLegalPath(job.jobId);
      expect(final.status).toBe('Killed');
      // A kill after the claim reaches the pilot.
      if (claimed.ok) expect(final.commands.map((c) => c.command)).toEqual(['Kill']);
    }
  });

  it('kill against the executor chain: the chain never moves a killed job, the kill never misses', async () => {
    const chain = createChainTransitions(store);
    for (let i = 0; i < rounds; i += 1) {
      const job = await jobIn('Checking', { minorStatus: 'JobScheduling' });
      const [killed, moved] = await Promise.all([
        killJob(store, job, { time: now(), source: 'JobManager' }),
        i % 2 === 0
          ? chain.waiting(job, { executor: 'JobScheduling', time: now() })
          : chain.failed(job, { executor: 'JobSanity', time: now(), reason: 'Input Sandbox Missing' }),
      ]);
      const final = await expectLegalPath(job.jobId);
      // A kill of a Waiting job still wins; one after a chain failure is refused with the status.
      if (killed.ok) expect(final.status).toBe('Killed');
      else expect(killed.current).toBe('Failed');
      if (!moved.ok) expect(final.status).toBe('Killed');
    }
  });

  it('heartbeat against the stall decision: Stalled goes back to Running on a beat', async () => {
    for (let i = 0; i < rounds; i += 1) {
      const job = await jobIn('Running');
      await Promise.all([
        stallJob(store, job, { time: now(), source: 'StalledJobAgent', quietSince: now() }),
        recordBeat(store, job, { time: now(), parameters: (j) => j.parameters }),
      ]);
      const final = await expectLegalPath(job.jobId);
      expect(['Running', 'Stalled']).toContain(final.status);
    }
  });

  it('reschedule against the Done report, and delete against kill', async () => {
    for (let i = 0; i < rounds; i += 1) {
      const running = await jobIn('Running');
      await Promise.all([
        rescheduleJob(store, running, { time: now(), source: 'JobManager', maxRescheduling: 3 }),
        reportStatuses(store, running, [{ time: now(), status: 'Done', source: 'JobWrapper' }], {
          time: now(),
          force: false,
        }),
      ]);
      await expectLegalPath(running.jobId);
      const waiting = await jobIn('Waiting');
      const [deleted, killed] = await Promise.all([
        deleteJob(store, waiting, { time: now(), source: 'JobManager' }),
        killJob(store, waiting, { time: now(), source: 'JobManager' }),
      ]);
      expect(deleted.ok || killed.ok).toBe(true);
      const final = await expectLegalPath(waiting.jobId);
      expect(['Deleted', 'Killed']).toContain(final.status);
    }
  });

  it('a report decided again from a newer status names that status as the one it moved from', async () => {
    const completing = await jobIn('Completing');
    // Read while still Running: the write is refused, and the report is validated again.
    const stale = { ...completing, status: 'Running', version: 0 } as JobRecord;
    const reported = await reportStatuses(
      store,
      stale,
      [{ time: now(), status: 'Done', source: 'JobWrapper' }],
      {
        time: now(),
        force: false,
      },
    );
    expect(reported).toMatchObject({ ok: true, written: true, previous: 'Completing' });
  });
});

describe('The claiming request of a job', () => {
  it('is kept while the job is Matched and forgotten when it leaves Matched', async () => {
    const job = await jobIn('Waiting', { taskQueueId: 'tq' });
    const claim = { vo: job.vo, jobId: job.jobId, tqId: 'tq', site: 'S', pilotReference: 'p', time: now() };
    const claimed = await claimJob(store, { ...claim, matchRequest: 'p#r1' });
    expect(claimed.ok && claimed.job.matchRequest).toBe('p#r1');
    await reportStatuses(
      store,
      (await getJob(store.dynamo, store.table, job.jobId)) as JobRecord,
      [{ time: now(), status: 'Running', source: 'JobWrapper' }],
      { time: now(), force: false },
    );
    const running = (await getJob(store.dynamo, store.table, job.jobId)) as JobRecord;
    expect(running.status).toBe('Running');
    expect(running.matchRequest).toBeUndefined();
  });
});
