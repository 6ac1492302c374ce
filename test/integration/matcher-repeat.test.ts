/**
 * A match that never reached its pilot does not hold its job (issue 15, item 3). The failure: a
 * pilot's match request timed out on the pilot while the matcher still claimed a job; the pilot
 * asked again and got a second job, and the first sat Matched until the StalledJobs agent's two
 * hours. Now the pilot repeats the request under its RequestID and gets the same job back with no
 * second claim; a repeat that reaches another matcher instance finds the job through the jobs
 * table; and a Matched job that its pilot never confirms goes back to Waiting after
 * `matcher.confirmSeconds` (the UnconfirmedMatches agent).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpPilotApi } from '#pilot/http-api.ts';
import { returnUnconfirmedMatches } from '#shared/agents/unconfirmed-matches.ts';
import { createDispatcher } from '#shared/executors/dispatch.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { getJob, hasStatus, submitWaiting, waitForJob } from '#test/integration/support/jobs.ts';
import { asPilot, registerPilot } from '#test/integration/support/pilots.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';
import { matcherOn, pilotAt, seeded } from '#test/integration/support/waiting-jobs.ts';

const site = 'LOCAL.localhost.local';
const sleepUntil = (time: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));

/**
 * A proxy in front of the API that holds the answer of the first matcher request `holdMs` after
 * the API gave it: the pilot's request times out although the matcher claimed a job.
 */
async function slowFirstMatch(apiUrl: string, holdMs: number) {
  let held = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers))
        if (typeof value === 'string' && name !== 'host' && name !== 'content-length')
          headers.set(name, value);
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      const answer = await fetch(`${apiUrl}${request.url}`, {
        method: request.method ?? 'GET',
        headers,
        ...(body ? { body } : {}),
      });
      const text = await answer.text();
      if (request.url === '/api/matcher/request' && held === 0) {
        held += 1;
        await new Promise((resolve) => setTimeout(resolve, holdMs));
      }
      if (response.destroyed) return;
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Repeated match requests and unconfirmed matches', () => {
  let runtime: TestRuntime;
  const config = testConfig();
  const statusOf = async (jobId: number) => (await getJob(runtime, jobId, 'admin')).body.Status;

  beforeAll(async () => {
    config.matcher.taskQueueCacheSeconds = 0.05;
    config.jobs.rescheduleDelays = [0];
    runtime = await startTestRuntime({ config });
  }, 60_000);
  afterAll(() => runtime?.stop());

  it('gives a request that timed out on the pilot the job it claimed, not a second one', async () => {
    const jobIds = await submitWaiting(runtime, 'Executable = "echo"; Tags = {"RepeatA"};', 2);
    const proxy = await slowFirstMatch(runtime.apiUrl, 8000);
    try {
      const api = createHttpPilotApi({
        apiUrl: proxy.url,
        token: runtime.tokens.pilot,
        requestTimeoutSeconds: 4,
        retry: { attempts: 6, baseMs: 50, maxMs: 200 },
      });
      await api.register({ Site: site, GridCE: 'localhost', Version: 'test' });
      const job = await api.requestJob({
        Site: site,
        GridCE: 'localhost',
        CPUTime: 86_400,
        NumberOfProcessors: 1,
        Tag: ['RepeatA'],
        RequestID: 'pilot-request-0001',
      });
      expect(proxy.held()).toBe(1);
      expect(jobIds).toContain(job?.JobID);
      const statuses = await Promise.all(jobIds.map(statusOf));
      // One claim only: the job the pilot now holds; the other still waits for the next request.
      expect(statuses.sort()).toEqual(['Matched', 'Waiting']);
      expect(await statusOf(job?.JobID as number)).toBe('Matched');
      expect(job?.PayloadToken).toBeTruthy();
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it('finds the claimed job from another matcher instance when the repeat says so, and only then', async () => {
    const jobIds = await submitWaiting(runtime, 'Executable = "echo"; Tags = {"RepeatB"};', 3);
    const pilot = await registerPilot(runtime);
    const first = async (json: Record<string, unknown>) => {
      const response = await runtime.api('/api/matcher/request', { method: 'POST', ...asPilot(pilot), json });
      return (await response.json()) as { match: boolean; job?: { JobID: number } };
    };
    const request = { Site: site, CPUTime: 86_400, Tag: ['RepeatB'], RequestID: 'pilot-request-0002' };
    const answer = await first(request);
    expect(answer.match).toBe(true);
    const claimed = answer.job?.JobID as number;

    // A fresh instance knows nothing of the request: a repeat finds the job through the jobs table.
    const other = () => matcherOn(runtime, config, seeded(5));
    const identity = pilotAt(pilot.reference, site, 'localhost');
    const repeated = await other().request(identity, { ...request, Repeat: true });
    expect(repeated.match && (repeated.job as { JobID: number }).JobID).toBe(claimed);
    // Without Repeat it is a new request, and a new claim: costless first requests stay so.
    const fresh = await other().request(identity, request);
    expect(fresh.match && (fresh.job as { JobID: number }).JobID).not.toBe(claimed);
    const another = await first({ ...request, RequestID: 'pilot-request-0003' });
    expect(another.match).toBe(true);
    expect((await Promise.all(jobIds.map(statusOf))).sort()).toEqual(['Matched', 'Matched', 'Matched']);
  }, 120_000);

  it('reschedules a Matched job its pilot never confirmed, towards Waiting, and leaves a confirmed one', async () => {
    const [lost, confirmed] = await submitWaiting(runtime, 'Executable = "echo"; Tags = {"RepeatC"};', 2);
    const pilot = await registerPilot(runtime);
    const match = async () => {
      const response = await runtime.api('/api/matcher/request', {
        method: 'POST',
        ...asPilot(pilot),
        json: { Site: site, CPUTime: 86_400, Tag: ['RepeatC'] },
      });
      return ((await response.json()) as { job: { JobID: number } }).job.JobID;
    };
    const matched = [await match(), await match()].sort((a, b) => a - b);
    expect(matched).toEqual([lost, confirmed].sort((a, b) => (a as number) - (b as number)));
    const updatedAt = async (jobId: number) =>
      Date.parse((await getJob(runtime, jobId, 'admin')).body.LastUpdateTime as string);

    // The pilot confirms one: its first report (DIRAC's "Job Received by Agent").
    const claimedAt = await updatedAt(confirmed as number);
    await sleepUntil(claimedAt + 50);
    const report = await runtime.api('/api/jobs/status', {
      method: 'PATCH',
      ...asPilot(pilot),
      json: {
        [confirmed as number]: {
          [new Date().toISOString()]: { MinorStatus: 'Job Received by Agent', Source: 'JobAgent' },
        },
      },
    });
    expect(report.status, await report.text()).toBe(200);
    const reportedAt = await updatedAt(confirmed as number);
    expect(reportedAt).toBeGreaterThan(claimedAt);

    // The agent's clock is set from the stored times, so that a loaded machine's delays do not count.
    const confirmMs = config.matcher.confirmSeconds * 1000;
    const dispatch = createDispatcher(runtime.aws.sqs, runtime.resources);
    const agentAt = (now: number) =>
      returnUnconfirmedMatches({
        config,
        dynamo: runtime.aws.dynamo,
        jobsTable: runtime.resources.tables.jobs as string,
        countersTable: runtime.resources.tables.counters as string,
        jobs: createJobRepository(runtime.deps),
        startChain: (ids) => dispatch('JobPath', ids),
        now: () => new Date(now),
        logger: runtime.deps.logger,
      });
    // Within confirmSeconds of both claims nothing of theirs moves (other tests' jobs may).
    await agentAt(Math.min(claimedAt, await updatedAt(lost as number)) + confirmMs - 1000);
    expect([await statusOf(lost as number), await statusOf(confirmed as number)]).toEqual([
      'Matched',
      'Matched',
    ]);
    // Just under confirmSeconds after the report: only the job that was never confirmed goes back.
    expect((await agentAt(reportedAt + confirmMs - 1)).rescheduled).toBeGreaterThanOrEqual(1);
    // Back through the executor chain, held there until its reschedule time: the agent's clock
    // was set minutes ahead, so JobScheduling keeps it On Hold rather than Waiting at once.
    const back = await waitForJob(runtime, lost as number, hasStatus('Checking', 'Waiting'), 60_000);
    expect(back.RescheduleCounter).toBe(1);
    expect(await statusOf(confirmed as number)).toBe('Matched');
    const sources = (back.LoggingInfo as { Status: string; Source: string }[]).map(
      (h) => `${h.Status}/${h.Source}`,
    );
    expect(sources).toContain('Rescheduled/UnconfirmedMatches');
  }, 120_000);
});
