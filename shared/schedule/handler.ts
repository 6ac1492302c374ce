/**
 * The stack every scheduled agent uses: one line of log per run with what it did and how long it
 * took; a failure is logged and rethrown so the platform records a failed invocation.
 */
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { Logger } from '#shared/log.ts';

export function createScheduleHandler<R>(logger: Logger, agent: string, run: () => Promise<R>) {
  return middy<ScheduledEvent, R, Error, Context>().handler(async (event) => {
    const log = logger.child({ agent, runId: event.id });
    const started = performance.now();
    try {
      const result = await run();
      log.info('agent run', { ms: Math.round(performance.now() - started), result });
      return result;
    } catch (error) {
      log.error('agent run failed', { error });
      throw error;
    }
  });
}
