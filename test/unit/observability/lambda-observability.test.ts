import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Deps } from '#shared/deps.ts';
import { lambdaObservability } from '#shared/lambda-observability.ts';
import { createLogger } from '#shared/log.ts';
import { countMetric, metricNames } from '#shared/metrics.ts';

const context = {
  awsRequestId: 'req-7',
  functionName: 'muon-job-manager',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:muon-job-manager',
  memoryLimitInMB: '1769',
} as Context;

describe('Lambda observability', () => {
  it("puts the invocation's request id on log lines and writes its metrics when it ends", async () => {
    const lines: Record<string, unknown>[] = [];
    const metrics: Record<string, unknown>[] = [];
    const logger = createLogger({ write: (line) => lines.push(JSON.parse(line)) });
    // No AWS_LAMBDA_FUNCTION_NAME: the tracer is not loaded, as outside Lambda.
    const invoke = lambdaObservability(
      { logger } as Deps,
      { POWERTOOLS_SERVICE_NAME: 'prod' },
      {
        writeMetrics: (line) => metrics.push(JSON.parse(line)),
      },
    );
    const answer = await invoke(context, async () => {
      logger.info('submitted');
      countMetric(metricNames.jobsSubmitted, 4);
      return 'ok';
    });
    expect(answer).toBe('ok');
    expect(lines[0]).toMatchObject({ message: 'submitted', function_request_id: 'req-7' });
    expect(metrics).toEqual([expect.objectContaining({ service: 'prod', JobsSubmitted: 4 })]);
  });

  it('still writes the metrics of an invocation that fails, and rethrows', async () => {
    const metrics: Record<string, unknown>[] = [];
    const invoke = lambdaObservability(
      { logger: createLogger({ write: () => undefined }) } as Deps,
      {},
      {
        writeMetrics: (line) => metrics.push(JSON.parse(line)),
      },
    );
    await expect(
      invoke(context, async () => {
        countMetric(metricNames.jobsFailed);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(metrics).toEqual([expect.objectContaining({ service: 'muon', JobsFailed: 1 })]);
  });
});
