/** One EventBridge rule per entry of the definition's `schedules`, invoking the named agent. */
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
    for (const [name, schedule] of Object.entries(props.schedules)) {
      const handler = lookup(props.handlers, 'function', schedule.function, `schedule ${name}`);
      const period = scheduleRate(schedule.everySeconds);
      byName[name] = new events.Rule(this, name, {
        description: schedule.description,
        schedule: events.Schedule.rate(period),
        // A tick that could not be delivered before the next one is due is dropped, not queued.
        targets: [new targets.LambdaFunction(handler, { maxEventAge: maxEventAge(period) })],
      });
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
