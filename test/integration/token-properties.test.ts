/**
 * A token's properties act only as far as the configuration gives them to its group: a token of
 * group `user` (NormalUser) that claims JobAdministrator and CSAdministrator (issued before the
 * configuration took them from the group, or by a mapping that never should have) reads no other
 * user's job and changes no configuration; the administrators' group keeps its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '#test/integration/support/identities.ts';
import { bodyOf, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

describe("A token's properties are bounded by its group's in the configuration", () => {
  let runtime: TestRuntime;
  let overclaiming: { as: 'none'; headers: Record<string, string> };
  let jobId: number;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    const token = await runtime.authority.sign({
      vo: 'vo.example.org',
      username: 'mallory',
      group: 'user',
      properties: ['NormalUser', 'JobAdministrator', 'CSAdministrator'],
    });
    overclaiming = { as: 'none', headers: bearer(token) };
    const submitted = await runtime.api('/api/jobs/jdl', { method: 'POST', json: ['Executable = "echo";'] });
    [{ JobID: jobId }] = (await submitted.json()) as [{ JobID: number }];
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('says the properties the group has, not those the token claims', async () => {
    const who = await bodyOf(await runtime.api('/api/auth/userinfo', overclaiming));
    expect(who).toMatchObject({ preferred_username: 'mallory', dirac_properties: ['NormalUser'] });
  });

  it("refuses the claimed JobAdministrator another user's job, and the claimed CSAdministrator the configuration", async () => {
    expect((await runtime.api(`/api/jobs/${jobId}`, overclaiming)).status).toBe(403);
    const kill = await runtime.api('/api/jobs/kill', {
      method: 'POST',
      json: { job_ids: [jobId] },
      ...overclaiming,
    });
    expect(kill.status).toBe(403);
    const current = await bodyOf(await runtime.api('/api/config'));
    const put = await runtime.api('/api/config', { method: 'PUT', json: current, ...overclaiming });
    expect(put.status).toBe(403);
  });

  it("leaves the administrators' group its properties", async () => {
    expect((await runtime.api(`/api/jobs/${jobId}`, { as: 'admin' })).status).toBe(200);
    const who = await bodyOf(await runtime.api('/api/auth/userinfo', { as: 'admin' }));
    expect(who.dirac_properties).toEqual(['NormalUser', 'JobAdministrator', 'CSAdministrator']);
  });
});
