import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { BatchClient } from '@aws-sdk/client-batch';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ComputingElement,
  ComputingElementError,
  ComputingElementUnavailableError,
  createComputingElement,
} from '#shared/ce/index.ts';
import { computingElementConfig } from '#test/integration/support/computing-elements.ts';

interface FakeJob {
  jobId: string;
  jobName: string;
  jobQueue: string;
  jobDefinition: string;
  status: string;
  statusReason?: string;
  containerOverrides?: { command?: string[]; environment?: { name: string; value: string }[] };
}

/** Just enough of AWS Batch's REST-JSON API: SubmitJob, DescribeJobs, TerminateJob, ListJobs. */
function fakeBatch() {
  const jobs = new Map<string, FakeJob>();
  const calls: string[] = [];
  const state = { throttle: false };
  const send = (response: ServerResponse, status: number, body: unknown, errorType?: string) => {
    response.writeHead(status, {
      'content-type': 'application/json',
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    response.end(JSON.stringify(body));
  };
  const routes: Record<string, (body: Record<string, unknown>) => [number, unknown, string?]> = {
    '/v1/submitjob': (body) => {
      if (body.jobQueue !== 'muon-pilots')
        return [400, { message: `Job queue ${body.jobQueue} not found` }, 'ClientException'];
      const job = { ...(body as unknown as FakeJob), jobId: randomUUID(), status: 'SUBMITTED' };
      jobs.set(job.jobId, job);
      return [
        200,
        { jobArn: `arn:aws:batch:eu-west-1:1:job/${job.jobId}`, jobName: job.jobName, jobId: job.jobId },
      ];
    },
    '/v1/describejobs': (body) => [
      200,
      {
        jobs: (body.jobs as string[])
          .flatMap((id) => jobs.get(id) ?? [])
          .map((job) => ({ ...job, createdAt: 1 })),
      },
    ],
    '/v1/terminatejob': (body) => {
      const job = jobs.get(body.jobId as string);
      if (!job) return [400, { message: 'no such job' }, 'ClientException'];
      job.status = 'FAILED';
      job.statusReason = body.reason as string;
      return [200, {}];
    },
    '/v1/listjobs': (body) => {
      // Pages of two, to exercise nextToken.
      const matching = [...jobs.values()].filter(
        (job) => job.jobQueue === body.jobQueue && job.status === body.jobStatus,
      );
      const start = Number(body.nextToken ?? 0);
      const page = matching.slice(start, start + 2);
      return [
        200,
        {
          jobSummaryList: page.map(({ jobId, jobName, status }) => ({
            jobId,
            jobName,
            status,
            createdAt: 1,
          })),
          ...(start + 2 < matching.length ? { nextToken: String(start + 2) } : {}),
        },
      ];
    },
  };
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = request.url ?? '';
    calls.push(url);
    if (state.throttle) return send(response, 429, { message: 'Rate exceeded' }, 'ThrottlingException');
    const route = routes[url];
    if (request.method !== 'POST' || !route)
      return send(response, 404, { message: url }, 'UnknownOperationException');
    const [status, body, errorType] = route(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
    send(response, status, body, errorType);
  });
  return { server, jobs, calls, state };
}

const fake = fakeBatch();
let endpoint: string;
const clients: BatchClient[] = [];
/** No retries by the SDK: the CE's own handling of each answer is under test. */
const clientAt = (url: string) => (region: string) => {
  const client = new BatchClient({
    region,
    endpoint: url,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
};
const batchClient = (region: string) => clientAt(endpoint)(region);
const env = {
  MUON_PILOT_JOB_QUEUE: 'muon-pilots',
  MUON_PILOT_JOB_DEFINITION: 'muon-pilot',
  AWS_REGION: 'eu-west-1',
};
const batchCE = (settings: Record<string, unknown> = {}): ComputingElement =>
  createComputingElement(
    'AWS.eu-west-1.cloud',
    'batch1',
    computingElementConfig({ type: 'AwsBatch', maxPilots: 5, maxWaitingPilots: 3, settings }),
    { home: '/nonexistent', env, batchClient },
  );
const jobIdOf = (reference: string) => reference.slice(reference.lastIndexOf('/') + 1);

beforeAll(async () => {
  fake.server.listen(0, '127.0.0.1');
  await once(fake.server, 'listening');
  const address = fake.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  endpoint = `http://127.0.0.1:${address.port}`;
});
afterAll(() => {
  for (const client of clients) client.destroy();
  fake.server.close();
});
beforeEach(() => {
  fake.jobs.clear();
  fake.state.throttle = false;
});

describe('AwsBatch computing element', () => {
  it("submits one Batch job per pilot, from the stack's queue and job definition, the arguments as its command", async () => {
    const references = await batchCE().submitPilots(3, {
      arguments: ['pilot', '--site', 'AWS.eu-west-1.cloud', '--ce', 'batch1'],
      env: { MUON_LOG_LEVEL: 'debug' },
    });
    expect(references).toHaveLength(3);
    expect(new Set(references).size).toBe(3);
    for (const reference of references) {
      expect(reference).toMatch(/^awsbatch:\/\/eu-west-1\/[0-9a-f-]{36}$/);
      expect(fake.jobs.get(jobIdOf(reference))).toMatchObject({
        jobName: 'muon-pilot-AWS_eu-west-1_cloud-batch1',
        jobQueue: 'muon-pilots',
        jobDefinition: 'muon-pilot',
        containerOverrides: {
          command: ['pilot', '--site', 'AWS.eu-west-1.cloud', '--ce', 'batch1'],
          environment: [
            { name: 'AWS_REGION', value: 'eu-west-1' },
            { name: 'MUON_LOG_LEVEL', value: 'debug' },
          ],
        },
      });
    }
  });

  it('never submits credentials: neither PilotSpec.credentials nor a token in the environment', async () => {
    const ce = batchCE();
    await expect(ce.submitPilots(1, { arguments: ['pilot'], credentials: { token: 'tok' } })).rejects.toThrow(
      /pilot credentials secret/,
    );
    await expect(ce.submitPilots(1, { arguments: ['pilot'], env: { MUON_TOKEN: 'tok' } })).rejects.toThrow(
      /MUON_TOKEN may not be in a pilot's environment/,
    );
    expect(fake.jobs.size).toBe(0);
  });

  it('maps Batch job statuses to pilot statuses with DescribeJobs', async () => {
    const ce = batchCE();
    const references = await ce.submitPilots(7, { arguments: ['pilot'], env: {} });
    const statuses = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'];
    references.forEach((reference, i) => {
      const job = fake.jobs.get(jobIdOf(reference));
      if (job) job.status = statuses[i] as string;
    });
    const others = ['awsbatch://eu-west-1/no-such-job', 'awsbatch://us-east-1/x', 'slurm://c/1'];
    const states = await ce.status([...references, ...others]);
    expect([...states.values()]).toEqual([
      ...['Waiting', 'Waiting', 'Waiting', 'Running', 'Running', 'Done', 'Failed'],
      ...['Unknown', 'Unknown', 'Unknown'],
    ]);
  });

  it('cancels pilots with TerminateJob: Aborted, not Failed', async () => {
    const ce = batchCE();
    const references = await ce.submitPilots(2, { arguments: ['pilot'], env: {} });
    await ce.cancel(references.slice(0, 1));
    expect(fake.calls.filter((call) => call === '/v1/terminatejob')).toHaveLength(1);
    expect([...(await ce.status(references)).values()]).toEqual(['Aborted', 'Waiting']);
  });

  it('counts its own waiting and running pilots in the queue, page after page, and the slots left', async () => {
    const ce = batchCE();
    const references = await ce.submitPilots(5, { arguments: ['pilot'], env: {} });
    ['RUNNABLE', 'RUNNABLE', 'RUNNING', 'RUNNING', 'SUCCEEDED'].forEach((status, i) => {
      const job = fake.jobs.get(jobIdOf(references[i] as string));
      if (job) job.status = status;
    });
    // Another CE's job in the same queue is not ours.
    fake.jobs.set('other', {
      jobId: 'other',
      jobName: 'muon-pilot-X-y',
      jobQueue: 'muon-pilots',
      jobDefinition: 'd',
      status: 'RUNNING',
    });
    fake.jobs.set('third', {
      jobId: 'third',
      jobName: 'muon-pilot-AWS_eu-west-1_cloud-batch1',
      jobQueue: 'muon-pilots',
      jobDefinition: 'd',
      status: 'RUNNING',
    });
    // running 3, waiting 2: min(3 - 2, 5 - 5) = 0
    expect(await ce.available()).toEqual({ running: 3, waiting: 2, slots: 0 });
    fake.jobs.delete('third');
    expect(await ce.available()).toEqual({ running: 2, waiting: 2, slots: 1 });
  });

  it('turns throttling (HTTP 429) into ComputingElementUnavailableError', async () => {
    fake.state.throttle = true;
    const submitting = batchCE().submitPilots(1, { arguments: ['pilot'], env: {} });
    await expect(submitting).rejects.toThrow(ComputingElementUnavailableError);
    await expect(submitting).rejects.toThrow(
      'AwsBatch CE AWS.eu-west-1.cloud/batch1 is throttled by AWS Batch (SubmitJob): ThrottlingException: Rate exceeded',
    );
    await expect(batchCE().status(['awsbatch://eu-west-1/x'])).rejects.toThrow(
      ComputingElementUnavailableError,
    );
  });

  it('reports a refused request (an unknown job queue) as ComputingElementError, not as unavailable', async () => {
    const submitting = batchCE({ jobQueue: 'nope' }).submitPilots(1, { arguments: ['pilot'], env: {} });
    await expect(submitting).rejects.toThrow(ComputingElementError);
    await expect(submitting).rejects.not.toThrow(ComputingElementUnavailableError);
    await expect(submitting).rejects.toThrow(/SubmitJob failed: ClientException: Job queue nope not found/);
  });

  it('reports an unreachable endpoint as unavailable', async () => {
    const ce = createComputingElement(
      'AWS.eu-west-1.cloud',
      'batch1',
      computingElementConfig({ type: 'AwsBatch' }),
      { home: '/nonexistent', env, batchClient: clientAt('http://127.0.0.1:1') },
    );
    await expect(ce.available()).rejects.toThrow(
      /^AwsBatch CE AWS\.eu-west-1\.cloud\/batch1 is unavailable: AWS Batch ListJobs: .*ECONNREFUSED/,
    );
  });
});
