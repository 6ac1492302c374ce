import { describe, expect, it } from 'vitest';
import type { JobRecord } from '#shared/jobs/model.ts';
import { jobWaitQuerySchema, waitForJob } from '#shared/jobs/wait.ts';

/** A job read that returns each status in turn (the last one from then on), on a fake clock. */
function fakeJob(statuses: string[]) {
  let clock = 0;
  let reads = 0;
  const read = async () => {
    const status = statuses[Math.min(reads, statuses.length - 1)];
    reads += 1;
    return { status } as unknown as JobRecord;
  };
  const sleep = async (ms: number) => {
    clock += ms;
  };
  return { read, sleep, now: () => clock, reads: () => reads, clock: () => clock };
}

describe('Waiting on a job (GET /api/jobs/{jobId}?wait)', () => {
  it('answers as soon as the status is no longer the one given', async () => {
    const job = fakeJob(['Matched', 'Matched', 'Running', 'Done']);
    const seen = await waitForJob(job.read, { wait: 20, status: 'Matched' }, job.sleep, job.now);
    expect(seen?.status).toBe('Running');
    expect(job.reads()).toBe(3);
    expect(job.clock()).toBe(200);
  });

  it('without a status, waits for the job to end', async () => {
    const job = fakeJob(['Waiting', 'Running', 'Completing', 'Failed']);
    const seen = await waitForJob(job.read, { wait: 20 }, job.sleep, job.now);
    expect(seen?.status).toBe('Failed');
  });

  it('answers with the job as it is when the wait is over, looking less often after 5 s', async () => {
    const job = fakeJob(['Running']);
    const seen = await waitForJob(job.read, { wait: 7, status: 'Running' }, job.sleep, job.now);
    expect(seen?.status).toBe('Running');
    expect(job.clock()).toBe(7000);
    // 50 looks in the first 5 s, 4 in the next 2 s, and the one at the end.
    expect(job.reads()).toBe(55);
  });

  it('reads once without a wait', async () => {
    const job = fakeJob(['Running']);
    await waitForJob(job.read, { status: 'Running' }, job.sleep, job.now);
    expect(job.reads()).toBe(1);
  });

  it('refuses a wait past API Gateway’s limit and an unknown status, saying what to send', () => {
    const long = jobWaitQuerySchema.safeParse({ wait: '60' });
    expect(long.success).toBe(false);
    expect(long.error?.issues[0]?.message).toMatch(/at most 20 seconds/);
    expect(jobWaitQuerySchema.safeParse({ wait: '5', status: 'Sleeping' }).success).toBe(false);
    expect(jobWaitQuerySchema.parse({ wait: '2.5', status: 'Running' })).toEqual({
      wait: 2.5,
      status: 'Running',
    });
  });
});
