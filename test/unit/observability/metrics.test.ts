import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { countPilots } from '#shared/agents/pilot-census.ts';
import { insertJobs } from '#shared/jobs/transitions/submit.ts';
import { writeTransition } from '#shared/jobs/transitions/write.ts';
import { countMetric, gaugeMetric, metricNames, timeMetric, withMetrics } from '#shared/metrics.ts';
import { createMetricsRecorder } from '#shared/metrics-recorder.ts';

type Emf = {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
};

const recording = () => {
  const documents: Emf[] = [];
  const recorder = createMetricsRecorder({
    service: 'muon-test',
    write: (line) => documents.push(JSON.parse(line)),
  });
  return { documents, recorder };
};

/** A jobs table that accepts every write and hands back the job it was given. */
const acceptingStore = () => ({
  table: 'jobs',
  dynamo: {
    send: async () => ({
      Attributes: {
        jobId: 1,
        vo: 'lhcb',
        owner: 'alice',
        status: 'Done',
        history: [],
      },
      UnprocessedItems: {},
    }),
  } as unknown as DynamoDBDocumentClient,
});

describe('Metrics', () => {
  it("write one invocation's counters and timings as one EMF document in the muon namespace", async () => {
    const { documents, recorder } = recording();
    await withMetrics(recorder, async () => {
      countMetric(metricNames.jobsSubmitted, 3);
      timeMetric(metricNames.matchLatency, 12.5);
    });
    expect(documents).toHaveLength(1);
    const [document] = documents;
    expect(document?._aws.CloudWatchMetrics[0]?.Namespace).toBe('muon');
    expect(document?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(document).toMatchObject({ service: 'muon-test', JobsSubmitted: 3, MatchLatency: 12.5 });
  });

  it('write a gauge with its own dimensions as a document of its own', async () => {
    const { documents, recorder } = recording();
    await withMetrics(recorder, async () => {
      gaugeMetric(metricNames.pilots, 4, { status: 'Running' });
      gaugeMetric(metricNames.pilots, 2, { status: 'Waiting' });
    });
    expect(documents.map((document) => [document.status, document.Pilots])).toEqual([
      ['Running', 4],
      ['Waiting', 2],
    ]);
    expect(documents[0]?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(['service', 'status']);
  });

  it('write nothing for an invocation that recorded nothing, and start afresh after each', async () => {
    const { documents, recorder } = recording();
    await withMetrics(recorder, async () => undefined);
    expect(documents).toHaveLength(0);
    await withMetrics(recorder, async () => countMetric(metricNames.jobsDone));
    await withMetrics(recorder, async () => countMetric(metricNames.jobsFailed));
    expect(documents.map((document) => [document.JobsDone, document.JobsFailed])).toEqual([
      [1, undefined],
      [undefined, 1],
    ]);
  });

  it('are no-ops outside an invocation (the embedded runtime, the CLI, tests)', () => {
    expect(() => countMetric(metricNames.jobsSubmitted, 5)).not.toThrow();
  });

  it('count the jobs a submission writes and the jobs that reach Done', async () => {
    const { documents, recorder } = recording();
    const store = acceptingStore();
    await withMetrics(recorder, async () => {
      const jobs = [1, 2].map((jobId) => ({ jobId, vo: 'lhcb', owner: 'alice', status: 'Received' }));
      await insertJobs(store, jobs as never);
      await writeTransition(store, {
        jobId: 1,
        vo: 'lhcb',
        from: ['Completing'],
        to: 'Done',
        time: new Date(0).toISOString(),
        history: [],
      });
    });
    expect(documents[0]).toMatchObject({ JobsSubmitted: 2, JobsDone: 1 });
  });

  it('do not count a write that keeps the status (an application status reported on a Done job)', async () => {
    const { documents, recorder } = recording();
    await withMetrics(recorder, () =>
      writeTransition(acceptingStore(), {
        jobId: 1,
        vo: 'lhcb',
        from: ['Done'],
        to: 'Done',
        time: new Date(0).toISOString(),
        history: [],
      }),
    );
    expect(documents).toEqual([]);
  });
});

describe('Pilot census', () => {
  it('counts pilot records per status over every VO and writes one Pilots gauge per status', async () => {
    const { documents, recorder } = recording();
    const keys: string[] = [];
    const dynamo = {
      send: async (command: { input: { ExpressionAttributeValues: Record<string, string> } }) => {
        const key = command.input.ExpressionAttributeValues[':key'] as string;
        keys.push(key);
        return { Count: key.endsWith('#Running') ? 3 : key.endsWith('#Done') ? 1 : 0 };
      },
    } as unknown as DynamoDBDocumentClient;
    const census = await withMetrics(recorder, () =>
      countPilots({ dynamo, pilotsTable: 'pilots', vos: ['lhcb', 'atlas'] }),
    );
    expect(census).toEqual({ Submitted: 0, Waiting: 0, Running: 6, Done: 2, Failed: 0, Aborted: 0 });
    expect(keys).toContain('atlas#Running');
    expect(documents.map((document) => [document.status, document.Pilots])).toContainEqual(['Running', 6]);
    expect(documents).toHaveLength(6);
  });
});
