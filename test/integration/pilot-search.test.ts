/**
 * The pilot monitor's routes (`POST /api/pilots/search` and `/summary`, DIRAC's PilotMonitor and
 * PilotSummary): an administrator sees the VO's pilots, a user only those that ran their jobs;
 * conditions, sorting and pages by Content-Range as the job search has them; a bad column is a 400
 * that names it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStatus, jobIdsOf, submitJdl, waitForJob } from '#test/integration/support/jobs.ts';
import {
  matchJob,
  type RegisteredPilot,
  registerPilot,
  reportRunning,
} from '#test/integration/support/pilots.ts';
import { startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

describe('Pilot search', () => {
  let runtime: TestRuntime;
  let pilots: RegisteredPilot[];
  beforeAll(async () => {
    runtime = await startTestRuntime({ prefix: 'pilot-search' });
    pilots = [];
    for (let i = 0; i < 3; i += 1) pilots.push(await registerPilot(runtime));
    const [jobId] = await jobIdsOf(await submitJdl(runtime, ['Executable = "sleep"; JobName = "p";']));
    await waitForJob(runtime, jobId as number, hasStatus('Waiting'));
    await matchJob(runtime, pilots[1] as RegisteredPilot, jobId as number);
    // Its first report on the job lists the job's owner on the pilot's record.
    await reportRunning(runtime, pilots[1] as RegisteredPilot, [jobId as number]);
    const done = { PilotReference: pilots[2]?.reference, Status: 'Done', StatusReason: 'idle' };
    expect(
      (await runtime.api('/api/pilots/metadata', { method: 'PATCH', as: 'admin', json: done })).status,
    ).toBe(204);
  });
  afterAll(() => runtime?.stop());

  const search = (body: unknown, as: 'user' | 'admin' = 'admin', query = '') =>
    runtime.api(`/api/pilots/search${query}`, { method: 'POST', as, json: body });

  it("shows an administrator the VO's pilots and a user only the one that ran their job", async () => {
    const all = (await (await search({ parameters: ['PilotReference', 'Status', 'Jobs'] })).json()) as Record<
      string,
      unknown
    >[];
    expect(all.map((p) => p.PilotReference).sort()).toEqual(pilots.map((p) => p.reference).sort());
    const mine = (await (await search({}, 'user')).json()) as Record<string, unknown>[];
    expect(mine.map((p) => p.PilotReference)).toEqual([pilots[1]?.reference]);
    expect(mine[0]).toMatchObject({ Site: 'LOCAL.localhost.local', GridCE: 'localhost', Jobs: 1 });
  });

  it('filters, sorts and pages, with Content-Range', async () => {
    const done = (await (
      await search({ search: [{ parameter: 'Status', operator: 'eq', value: 'Done' }] })
    ).json()) as Record<string, unknown>[];
    expect(done.map((p) => p.PilotReference)).toEqual([pilots[2]?.reference]);
    const sorted = {
      parameters: ['PilotReference'],
      sort: [{ parameter: 'PilotReference', direction: 'asc' }],
    };
    const page = await search(sorted, 'admin', '?page=2&per_page=2');
    expect(page.status).toBe(206);
    expect(page.headers.get('content-range')).toBe('pilots 2-2/3');
    expect(await page.json()).toEqual([{ PilotReference: pilots.map((p) => p.reference).sort()[2] }]);
  });

  it('counts pilots by the grouping columns', async () => {
    const response = await runtime.api('/api/pilots/summary', {
      method: 'POST',
      as: 'admin',
      json: { grouping: ['Site', 'Status'] },
    });
    expect(await response.json()).toEqual([
      { Site: 'LOCAL.localhost.local', Status: 'Done', count: 1 },
      { Site: 'LOCAL.localhost.local', Status: 'Running', count: 2 },
    ]);
  });

  it('refuses an unknown column with a 400 naming it', async () => {
    const response = await search({ search: [{ parameter: 'Colour', operator: 'eq', value: 'red' }] });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toMatch(
      /"Colour": it is not a pilot column/,
    );
  });
});
