import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '#functions/job-manager.ts';
import { getJob, hasStatus, readYaml, waitForJob } from '#test/integration/support/jobs.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

/**
 * Issue 15: bulk requests larger than their time budget. The budget is one millisecond here, so
 * every request does little more than its first piece of work (a chunk of 50 jobs written, 32 jobs
 * changed) and must answer with what it did; a real budget (20 s) behaves the same on larger
 * requests, such as the 5,000-input CWL submission and the 5,000-job kill of the issue.
 */
describe('Bulk requests within their time budget', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    const config = testConfig();
    config.limits.requestBudgetSeconds = 0.001;
    config.jobs.recoverAfterSeconds = 1;
    config.jobs.rescheduleDelays = [0];
    runtime = await startTestRuntime({ config });
  });
  afterAll(() => runtime?.stop());

  type Answer = { status: number; headers: Headers; body: Record<string, unknown> & unknown[] };
  const post = async (path: string, json: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await runtime.api(path, { method: 'POST', json, headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) as never };
  };

  /** How many jobs are named `name` (a search's Content-Range total). */
  const countNamed = async (name: string) => {
    const response = await runtime.api('/api/jobs/search?page=1&per_page=1', {
      method: 'POST',
      json: { parameters: ['JobID'], search: [{ parameter: 'JobName', operator: 'eq', value: name }] },
    });
    const range = response.headers.get('content-range') ?? '';
    await response.body?.cancel();
    return Number(range.split('/')[1] ?? (response.status === 200 ? '0' : 'NaN'));
  };

  /** Sends a submission until it is complete, with the key its first answer gave; every answer. */
  async function submitUntilDone(path: string, body: unknown): Promise<Answer[]> {
    const answers = [await post(path, body)];
    for (let n = 0; n < 30 && answers.at(-1)?.status === 202; n += 1) {
      const key = answers[0]?.headers.get('idempotency-key') as string;
      answers.push(await post(path, body, { 'idempotency-key': key }));
    }
    return answers;
  }

  it('answers 201 when SQS is down, and the recovery sweep sends the job on: no half job, no 500', async () => {
    // The job manager with an SQS client that reaches nothing (connection refused), the rest real.
    const deadSqs = new SQSClient({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const handler = createHandler({ ...runtime.deps, aws: { ...runtime.deps.aws, sqs: deadSqs } });
    const response = await handler(
      event('POST /api/jobs/jdl', JSON.stringify(['Executable = "echo"; JobName = "sqs-down";'])),
      {} as Context,
    );
    expect(response.statusCode).toBe(201);
    const [job] = JSON.parse(response.body ?? '[]') as { JobID: number; Status: string }[];
    expect(job?.Status).toBe('Received');
    expect((await getJob(runtime, job?.JobID as number)).body.Status).toBe('Received');

    // A reschedule with SQS down: the job is rescheduled (Received), the answer says so.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await runtime.scheduler.runNow('recovery');
    await waitForJob(runtime, job?.JobID as number, hasStatus('Waiting'));
    const rescheduled = await handler(
      event('POST /api/jobs/reschedule', JSON.stringify({ job_ids: [job?.JobID] })),
      {} as Context,
    );
    expect(rescheduled.statusCode).toBe(200);
    expect((await getJob(runtime, job?.JobID as number)).body.Status).toBe('Received');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await runtime.scheduler.runNow('recovery');
    await waitForJob(runtime, job?.JobID as number, hasStatus('Waiting'));
  }, 180_000);

  it('reschedules once for one Idempotency-Key however often the request is sent, and finishes a partial one', async () => {
    const answers = await submitUntilDone('/api/jobs/jdl', [
      'Executable = "echo"; JobName = "resched"; Parameters = 100;',
    ]);
    const ids = ((answers.at(-1) as Answer).body as unknown as { JobID: number }[]).map((job) => job.JobID);
    for (const id of ids) await waitForJob(runtime, id, hasStatus('Waiting'), 120_000);
    const headers = { 'idempotency-key': `resched-${Date.now()}` };

    // The budget lets the first attempt reschedule only some of the 100 jobs.
    const first = await post('/api/jobs/reschedule', { job_ids: ids }, headers);
    expect(first.status).toBe(200);
    const firstDone = Object.keys(first.body.success as object);
    expect(firstDone.length).toBeGreaterThan(0);
    expect(firstDone.length).toBeLessThan(100);
    let last = first;
    for (let n = 0; n < 20 && Object.keys(last.body.failed as object).length > 0; n += 1) {
      last = await post('/api/jobs/reschedule', { job_ids: ids }, headers);
    }
    expect(Object.keys(last.body.failed as object)).toEqual([]);
    expect(Object.keys(last.body.success as object)).toHaveLength(100);
    const again = await post('/api/jobs/reschedule', { job_ids: ids }, headers);
    expect(again.status).toBe(200);
    for (const id of ids) expect((await getJob(runtime, id)).body.RescheduleCounter).toBe(1);

    const other = await post('/api/jobs/reschedule', { job_ids: ids.slice(0, 5) }, headers);
    expect(other.status).toBe(409);
    expect((other.body as unknown as { detail: string }).detail).toMatch(/already used for other jobs/);
  }, 180_000);

  it('answers a kill over more jobs than its budget allows per job; sending the rest again finishes it', async () => {
    const name = `kill-${Date.now()}`;
    const answers = await submitUntilDone('/api/jobs/jdl', [
      `Executable = "echo"; JobName = "${name}"; Parameters = 200;`,
    ]);
    const ids = ((answers.at(-1) as Answer).body as unknown as { JobID: number }[]).map((job) => job.JobID);

    const first = await post('/api/jobs/kill', { job_ids: ids });
    expect(first.status).toBe(200);
    const failed = first.body.failed as Record<string, { code: string; detail: string }>;
    const success = first.body.success as Record<string, { Status: string }>;
    expect(Object.keys(success).length).toBeGreaterThan(0);
    expect(Object.keys(failed).length).toBeGreaterThan(0);
    expect(Object.keys(success).length + Object.keys(failed).length).toBe(200);
    for (const failure of Object.values(failed)) {
      expect(failure.code).toBe('not_attempted');
      expect(failure.detail).toMatch(/send the request again/);
    }
    for (const id of Object.keys(failed).slice(0, 3))
      expect((await getJob(runtime, Number(id))).body.Status).not.toBe('Killed');

    let rest = Object.keys(failed).map(Number);
    for (let n = 0; n < 20 && rest.length > 0; n += 1) {
      const answer = await post('/api/jobs/kill', { job_ids: rest });
      rest = Object.keys(answer.body.failed as object).map(Number);
    }
    expect(rest).toEqual([]);
    // A kill sent again over killed jobs answers them as killed: repeating it is harmless.
    const repeat = await post('/api/jobs/kill', { job_ids: ids.slice(0, 10) });
    expect(Object.values(repeat.body.success as object).map((v) => (v as { Status: string }).Status)).toEqual(
      Array(10).fill('Killed'),
    );
  }, 180_000);

  it.each([
    [
      'JDL',
      '/api/jobs/jdl',
      (name: string) => [`Executable = "echo"; JobName = "${name}"; Parameters = 300;`],
    ],
    [
      'CWL',
      '/api/jobs',
      (name: string) => ({
        workflow: readYaml('test/fixtures/cwl/hello-world.cwl'),
        inputs: Array.from({ length: 300 }, (_, i) => ({ message: `m${i}` })),
        hints: { jobName: name },
      }),
    ],
  ] as const)(
    'answers a %s submission too large for its budget with 202 and the jobs written; the same request with the key finishes it, no job twice',
    async (_, path, body) => {
      const name = `bulk-${path.length}-${Date.now()}`;
      const answers = await submitUntilDone(path, body(name));
      const [first, last] = [answers[0] as Answer, answers.at(-1) as Answer];

      expect(first.status).toBe(202);
      const submitted = first.body.submitted as { JobID: number }[];
      const pending = first.body.pending as number[];
      expect(submitted.length).toBeGreaterThan(0);
      expect(submitted.length + pending.length).toBe(300);
      expect(first.body.detail).toMatch(/of 300 jobs were submitted.*Idempotency-Key/);
      expect(first.body.idempotency_key).toBe(first.headers.get('idempotency-key'));

      expect(last.status).toBe(201);
      const all = (last.body as unknown as { JobID: number }[]).map((job) => job.JobID);
      expect(all).toEqual([...submitted.map((job) => job.JobID), ...pending].sort((a, b) => a - b));
      expect(await countNamed(name)).toBe(300);
      // Once complete, the key keeps answering the same jobs.
      const again = await post(path, body(name), { 'idempotency-key': first.body.idempotency_key as string });
      expect(again.status).toBe(201);
      expect(await countNamed(name)).toBe(300);
    },
    180_000,
  );
});

const claims = {
  vo: 'vo.example.org',
  sub: 'vo.example.org:alice',
  preferred_username: 'alice',
  dirac_group: 'user',
  dirac_properties: '[NormalUser]',
};

/** An API Gateway event as the cloud's JWT authorizer hands it over, for alice. */
function event(routeKey: string, body: string): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1],
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    isBase64Encoded: false,
    body,
    requestContext: {
      requestId: `req-${Date.now()}`,
      routeKey,
      authorizer: { jwt: { claims, scopes: [] } },
      http: { method: routeKey.split(' ')[0] },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}
