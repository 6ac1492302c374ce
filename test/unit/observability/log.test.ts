import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createLogger, powertoolsOf } from '#shared/log.ts';

const capture = (level?: 'debug' | 'info' | 'warn' | 'error') => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    ...(level ? { level } : {}),
    context: { component: 'test' },
    write: (line) => lines.push(JSON.parse(line)),
  });
  return { lines, logger };
};

describe('Logger (Powertools)', () => {
  it("writes muon's fields first, then the context and the line's own fields", () => {
    const { lines, logger } = capture();
    logger.info('job submitted', { jobId: 7 });
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(Object.keys(line ?? {}).slice(0, 4)).toEqual(['time', 'level', 'message', 'service']);
    expect(line).toMatchObject({
      level: 'info',
      message: 'job submitted',
      service: 'muon',
      component: 'test',
      jobId: 7,
    });
    expect(Number.isNaN(Date.parse(String(line?.time)))).toBe(false);
  });

  it('drops lines below its level', () => {
    const { lines, logger } = capture('warn');
    logger.info('quiet');
    logger.debug('quieter');
    logger.warn('loud');
    expect(lines.map((line) => line.message)).toEqual(['loud']);
  });

  it("gives a child its parent's fields and sink, and leaves the parent alone", () => {
    const { lines, logger } = capture();
    const child = logger.child({ requestId: 'r1' }).child({ user: 'alice' });
    child.error('refused', { statusCode: 403 });
    logger.info('after');
    expect(lines[0]).toMatchObject({
      level: 'error',
      component: 'test',
      requestId: 'r1',
      user: 'alice',
      statusCode: 403,
    });
    expect(lines[1]).not.toHaveProperty('requestId');
  });

  it('writes an error with its message, stack and cause', () => {
    const { lines, logger } = capture();
    logger.error('failed', { error: new Error('outer', { cause: new Error('inner') }) });
    const error = lines[0]?.error as Record<string, unknown>;
    expect(error).toMatchObject({ name: 'Error', message: 'outer' });
    expect(String(error.stack)).toContain('outer');
    expect(JSON.stringify(error.cause)).toContain('inner');
  });

  it('adds the Lambda request id and whether it is a cold start once given the invocation context', () => {
    const { lines, logger } = capture();
    powertoolsOf(logger)?.addContext({
      awsRequestId: 'req-1',
      functionName: 'muon-matcher',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:muon-matcher',
      memoryLimitInMB: '1769',
    } as Context);
    logger.child({ route: 'POST /api/matcher/request' }).info('request');
    expect(lines[0]).toMatchObject({
      function_request_id: 'req-1',
      route: 'POST /api/matcher/request',
    });
    expect(typeof lines[0]?.cold_start).toBe('boolean');
  });
});
