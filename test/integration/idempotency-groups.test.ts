/**
 * An Idempotency-Key belongs to one submitter: the same person holding another group submits
 * anew with the same key and body, instead of being answered with the other group's jobs, which
 * that group's holder may not even read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, matrixConfig, vo } from '#test/integration/support/identities.ts';
import { bodyOf, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

describe('A submission Idempotency-Key, for the same user in two groups', () => {
  let runtime: TestRuntime;
  let asUser2: { as: 'none'; headers: Record<string, string> };

  beforeAll(async () => {
    runtime = await startTestRuntime({ config: matrixConfig() });
    const token = await runtime.authority.sign({
      vo,
      username: 'alice',
      group: 'user2',
      properties: ['NormalUser'],
    });
    asUser2 = { as: 'none', headers: bearer(token) };
  });
  afterAll(async () => runtime?.stop());

  const submit = (init: { as: 'user' } | { as: 'none'; headers: Record<string, string> }) =>
    runtime.api('/api/jobs/jdl', {
      method: 'POST',
      json: ['Executable = "echo";'],
      ...init,
      headers: { ...('headers' in init ? init.headers : {}), 'idempotency-key': 'same-key-both-groups' },
    });

  it('answers each group with its own jobs', async () => {
    const first = await submit({ as: 'user' });
    expect(first.status).toBe(201);
    const [{ JobID: userJob }] = (await first.json()) as [{ JobID: number }];

    const second = await submit(asUser2);
    expect(second.status).toBe(201);
    const [{ JobID: user2Job }] = (await second.json()) as [{ JobID: number }];
    expect(user2Job).not.toBe(userJob);
    expect(await bodyOf(await runtime.api(`/api/jobs/${user2Job}`, asUser2))).toMatchObject({
      OwnerGroup: 'user2',
    });

    // The same group again is a retry: the same job.
    const again = await submit(asUser2);
    expect(((await again.json()) as [{ JobID: number }])[0].JobID).toBe(user2Job);
  });
});
