/**
 * The caller check's payload-token rule: a payload token works while its job is held by the pilot
 * it names and has not ended.
 */
import { describe, expect, it } from 'vitest';
import type { Identity } from '#shared/auth/identity.ts';
import { createCallerCheck } from '#shared/http/caller.ts';

const job = { pk: 'JOB#7', sk: 'JOB', jobId: 7, vo: 'lhcb', status: 'Running' };
const checkWith = (item: Record<string, unknown>) =>
  createCallerCheck(
    {
      aws: { dynamo: { send: async () => ({ Item: item }) } } as never,
      resources: { tables: { jobs: 'jobs' }, queues: {} },
    },
    Object.assign(async (identity: Identity) => identity, { forget: () => undefined }),
  );
const payload: Identity = {
  vo: 'lhcb',
  sub: 'lhcb:alice',
  username: 'alice',
  group: 'lhcb_user',
  properties: [],
  jobId: 7,
  pilotReference: 'pilot-1',
};

describe('A payload token', () => {
  it('works while the pilot it names holds its running job', async () => {
    const check = checkWith({ ...job, pilotReference: 'pilot-1' });
    await expect(check(['payload'], payload, {}, 'GET /api/jobs/{jobId}')).resolves.toBe(payload);
  });

  it('naming no pilot does not work for a job no pilot holds', async () => {
    const { pilotReference: _, ...unnamed } = payload;
    await expect(checkWith(job)(['payload'], unnamed, {}, 'GET /api/jobs/{jobId}')).rejects.toMatchObject({
      code: 'auth.payload_job_moved',
    });
  });
});
