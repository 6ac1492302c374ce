/**
 * One EventBridge rule per entry of the definition's `schedules`, invoking the named agent (DIRAC:
 * an agent's PollingTime). An agent runs at most once at a time: its function has a reserved
 * concurrency of 1 (set by `Functions`), and neither EventBridge nor Lambda's asynchronous queue
 * retries a run: a run that failed or was throttled because the previous one still runs is
 * dropped, and the next tick starts afresh from the walk's saved cursor.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { lookup, type ResourceDefinition } from '../definition.ts';

export interface SchedulesProps {
  readonly schedules: ResourceDefinition['schedules'];
  readonly handlers: Readonly<Record<string, lambda.IFunction>>;
}

export class Schedules extends Construct {
  readonly byName: Readonly<Record<string, events.Rule>>;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    const byName: Record<string, events.Rule> = {};
    const configured = new Set<lambda.IFunction>();
    for (const [name, schedule] of Object.entries(props.schedules)) {
      const handler = lookup(props.handlers, 'function', schedule.function, `schedule ${name}`);
      const period = scheduleRate(schedule.everySeconds);
      byName[name] = new events.Rule(this, name, {
        description: schedule.description,
        schedule: events.Schedule.rate(period),
        // A tick that could not be delivered before the next one is due is dropped, not queued.
        targets: [
          new targets.LambdaFunction(handler, { maxEventAge: maxEventAge(period), retryAttempts: 0 }),
        ],
      });
      // Lambda's own queue for asynchronous invocations: no retry, and a tick held back by the
      // reserved concurrency expires before the next one is due.
      if (!configured.has(handler))
        handler.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: maxQueuedAge(period) });
      configured.add(handler);
    }
    this.byName = byName;
  }
}

/**
 * EventBridge rates are whole minutes. Rounding up means an agent never runs more often than its
 * definition asks: 90 s becomes every 2 minutes, anything up to 60 s every minute.
 */
export const scheduleRate = (everySeconds: number): Duration =>
  Duration.minutes(Math.max(1, Math.ceil(everySeconds / 60)));

const maxEventAge = (period: Duration): Duration => Duration.minutes(Math.min(24 * 60, period.toMinutes()));

/** Lambda takes 60 s to 6 h: one period, within those bounds. */
const maxQueuedAge = (period: Duration): Duration =>
  Duration.seconds(Math.min(6 * 3600, Math.max(60, period.toSeconds())));
