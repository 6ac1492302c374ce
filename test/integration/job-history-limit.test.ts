/**
 * A job's history under a payload that reports its ApplicationStatus without end: the job item
 * stays writable (DynamoDB's 400 KB), so the job can still finish and be killed, and the rows that
 * move its major status are kept beyond the others' bound (shared/jobs/history-limit.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxHistoryRows, maxHistoryRowsWithMoves } from '#shared/jobs/history-limit.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { StatusUpdate } from '#shared/jobs/status-updates.ts';
import { getJob } from '#shared/jobs/store/read-jobs.ts';
import { killJob } from '#shared/jobs/transitions/manager.ts';
import { reportStatuses } from '#shared/jobs/transitions/report.ts';
import type { TransitionStore } from '#shared/jobs/transitions/write.ts';
import { insertFixtureJobs } from '#test/integration/support/job-items.ts';
import { startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';
import { job as fixture } from '#test/unit/executors/support.ts';

let runtime: TestRuntime;
let store: TransitionStore;

beforeAll(async () => {
  runtime = await startTestRuntime();
  store = { dynamo: runtime.aws.dynamo, table: runtime.resources.tables.jobs as string };
});
afterAll(async () => runtime?.stop());

const started = Date.parse('2026-01-01T00:00:00.000Z');
const at = (second: number) => new Date(started + second * 1000).toISOString();
const read = async (jobId: number) => (await getJob(store.dynamo, store.table, jobId)) as JobRecord;

async function runningJob(jobId: number): Promise<JobRecord> {
  const row = {
    time: at(0),
    status: 'Running' as const,
    minorStatus: 'Application',
    applicationStatus: 'Unknown',
    source: 'JobWrapper',
    resultingStatus: 'Running' as const,
    applied: true,
  };
  const record = {
    ...fixture({}, { status: 'Running' }),
    jobId,
    vo: 'vo.example.org',
    lastUpdateTime: at(0),
    lastStatusTime: at(0),
    history: [row],
    version: 1,
  } as JobRecord;
  await insertFixtureJobs(store.dynamo, store.table, [record]);
  return record;
}

/** 30 reports of 40 ApplicationStatus rows of 255 characters each: 1,200 rows, over 400 KB. */
async function flood(jobId: number): Promise<void> {
  for (let batch = 0; batch < 30; batch += 1) {
    const updates: StatusUpdate[] = Array.from({ length: 40 }, (_, i) => ({
      time: at(1 + batch * 40 + i),
      applicationStatus: `${batch}/${i} `.padEnd(255, 'x'),
      source: 'JobWrapper',
    }));
    const result = await reportStatuses(store, await read(jobId), updates, { time: at(2000), force: false });
    expect(result.ok, `report ${batch}`).toBe(true);
  }
}

describe("A job's history under endless status reports", () => {
  it('stops adding ApplicationStatus rows at the limit, keeps the latest status, and lets the job finish', async () => {
    await runningJob(1);
    await flood(1);
    const flooded = await read(1);
    expect(flooded.history).toHaveLength(maxHistoryRows);
    expect(flooded.applicationStatus).toBe('29/39 '.padEnd(255, 'x'));

    const done = await reportStatuses(
      store,
      flooded,
      [
        { time: at(3000), status: 'Completing', applicationStatus: 'still chatty', source: 'JobWrapper' },
        { time: at(3001), status: 'Done', minorStatus: 'Execution Complete', source: 'JobWrapper' },
      ],
      { time: at(3001), force: false },
    );
    expect(done.ok).toBe(true);
    const finished = await read(1);
    expect(finished.status).toBe('Done');
    expect(finished.history.slice(-2).map((row) => row.resultingStatus)).toEqual(['Completing', 'Done']);
  });

  it('bounds rows that move the status too: a payload reporting Running and Stalled in turn', async () => {
    await runningJob(3);
    for (let batch = 0; batch < 15; batch += 1) {
      const updates: StatusUpdate[] = Array.from({ length: 40 }, (_, i) => ({
        time: at(1 + batch * 40 + i),
        status: i % 2 === 0 ? 'Stalled' : 'Running',
        applicationStatus: `${batch}/${i} `.padEnd(255, 'x'),
        source: 'JobWrapper',
      }));
      expect((await reportStatuses(store, await read(3), updates, { time: at(2000), force: false })).ok).toBe(
        true,
      );
    }
    const cycled = await read(3);
    expect(cycled.history).toHaveLength(maxHistoryRowsWithMoves);
    expect(cycled.status).toBe('Running');
    expect(cycled.applicationStatus).toBe('14/39 '.padEnd(255, 'x'));
  });

  it('lets the owner kill a job whose payload flooded its history', async () => {
    await runningJob(2);
    await flood(2);
    const killed = await killJob(store, await read(2), { time: at(4000), source: 'JobManager' });
    expect(killed.ok).toBe(true);
    expect((await read(2)).status).toBe('Killed');
  });
});
