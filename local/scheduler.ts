/**
 * EventBridge schedules for the embedded runtime: each agent's function is invoked every
 * `everySeconds` with a scheduled event. A run that is still going when the next is due is not
 * doubled; the next run starts when it ends.
 */
import type { ScheduledEvent } from 'aws-lambda';
import { invoke, type LocalFunction } from '#local/invoke.ts';
import type { Logger } from '#shared/log.ts';

export interface Schedule {
  readonly name: string;
  readonly fn: LocalFunction;
  readonly everyMs: number;
}

export interface Scheduler {
  /** Runs a schedule now (tests and `muon` use it instead of waiting). */
  runNow(name: string): Promise<void>;
  stop(): Promise<void>;
}

export function startScheduler(schedules: readonly Schedule[], logger: Logger): Scheduler {
  const running = new Map<string, Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;

  const run = (schedule: Schedule): Promise<void> => {
    const current = running.get(schedule.name);
    if (current) return current;
    const event: ScheduledEvent = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [`arn:aws:events:local:000000000000:rule/${schedule.name}`],
      detail: {},
    };
    const started = invoke(schedule.fn, event)
      .then(() => undefined)
      .catch((error) => logger.error('scheduled run failed', { schedule: schedule.name, error }))
      .finally(() => running.delete(schedule.name));
    running.set(schedule.name, started);
    return started;
  };

  for (const schedule of schedules) {
    timers.push(
      setInterval(() => {
        if (!stopped) void run(schedule);
      }, schedule.everyMs),
    );
  }

  return {
    runNow: async (name) => {
      const schedule = schedules.find((s) => s.name === name);
      if (!schedule) throw new Error(`No schedule named ${name}.`);
      await run(schedule);
    },
    stop: async () => {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.allSettled([...running.values()]);
    },
  };
}
