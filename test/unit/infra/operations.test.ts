import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceDefinition } from '#infra/definition.ts';
import { metricNames, metricsNamespace } from '#shared/metrics.ts';
import { physicalName } from '#shared/resources.ts';
import {
  idsOf,
  prefix,
  referencedIds,
  removeTemporaryDirectories,
  resource,
  type Synthesized,
  synthesize,
} from './synth.ts';

let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize({
    alarmEmail: 'ops@example.org',
    apiGuards: { rateLimit: 50, burstLimit: 80, corsOrigins: ['https://portal.example.org'] },
  });
}, 60_000);
afterAll(removeTemporaryDirectories);

const { functionId, queueId, tableId } = idsOf(() => synthesized);
const template = () => synthesized.template;
const alarms = () => Object.values(template().findResources('AWS::CloudWatch::Alarm'));
const topicId = () =>
  Object.keys(
    template().findResources('AWS::SNS::Topic', { Properties: { TopicName: `${prefix}-alarms` } }),
  )[0];
const alarmOn = (metricName: string, dimension: string, id: string) =>
  alarms().filter(
    (alarm) =>
      alarm.Properties.MetricName === metricName &&
      JSON.stringify(alarm.Properties.Dimensions ?? []).includes(dimension) &&
      referencedIds(alarm.Properties.Dimensions).has(id),
  );

describe('Alarms', () => {
  it('notify the alarm topic, which e-mails the address given as context', () => {
    expect(alarms().length).toBeGreaterThan(0);
    for (const alarm of alarms()) {
      expect(referencedIds(alarm.Properties.AlarmActions)).toEqual(new Set([topicId()]));
    }
    template().hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.org',
      TopicArn: { Ref: topicId() },
    });
  });

  it("watch every dead-letter queue's depth", () => {
    for (const name of Object.keys(resourceDefinition.queues)) {
      const dlq = queueId(`${name}Dlq`);
      expect(alarmOn('ApproximateNumberOfMessagesVisible', 'QueueName', dlq), name).toHaveLength(1);
    }
  });

  it("watch every function's errors and throttles", () => {
    for (const name of Object.keys(resourceDefinition.functions)) {
      expect(alarmOn('Errors', 'FunctionName', functionId(name)), name).toHaveLength(1);
      expect(alarmOn('Throttles', 'FunctionName', functionId(name)), name).toHaveLength(1);
    }
  });

  it("watch the API's 5xx answers", () => {
    const apiId = synthesized.stack.getLogicalId(
      synthesized.stack.api.httpApi.node.defaultChild as CfnElement,
    );
    expect(alarmOn('5xx', 'ApiId', apiId)).toHaveLength(1);
  });

  it("watch every table's throttled reads and writes, its indexes' included", () => {
    const throttleAlarms = alarms().filter((alarm) => alarm.Properties.Metrics);
    for (const [name, table] of Object.entries(resourceDefinition.tables)) {
      const mine = throttleAlarms.filter((alarm) =>
        referencedIds(alarm.Properties.Metrics).has(tableId(name)),
      );
      expect(mine, name).toHaveLength(1);
      const metrics = JSON.stringify(mine[0]?.Properties.Metrics);
      for (const index of Object.keys(table.indexes)) expect(metrics).toContain(`"${index}"`);
      expect(metrics).toContain('WriteThrottleEvents');
      expect(metrics).toContain('ReadThrottleEvents');
    }
  });

  it("watch the pilot queue's failed AWS Batch jobs through an EventBridge rule", () => {
    const rules = template().findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.batch'], detail: { status: ['FAILED'] } } },
    });
    const [ruleId, rule] = Object.entries(rules)[0] ?? [];
    expect(referencedIds(rule?.Properties.EventPattern)).toContain(
      synthesized.stack.getLogicalId(synthesized.stack.pilots.jobQueue.node.defaultChild as CfnElement),
    );
    expect(alarmOn('TriggeredRules', 'RuleName', ruleId as string)).toHaveLength(1);
  });
});

describe('Dashboard', () => {
  it("shows muon's job, match and pilot metrics and the executor backlog", () => {
    const dashboards = template().findResources('AWS::CloudWatch::Dashboard', {
      Properties: { DashboardName: physicalName(prefix, 'operations') },
    });
    const body = JSON.stringify(Object.values(dashboards)[0]?.Properties.DashboardBody);
    for (const name of Object.values(metricNames)) expect(body).toContain(name);
    expect(body).toContain(metricsNamespace);
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    expect(body).toContain(queueId('jobPath'));
  });
});

describe('Guards', () => {
  it('give every scheduled agent a reserved concurrency of 1 and no asynchronous retry', () => {
    const scheduled = new Set(
      Object.values(resourceDefinition.schedules).map((schedule) => schedule.function),
    );
    for (const name of Object.keys(resourceDefinition.functions)) {
      const concurrency = resource(template(), functionId(name)).Properties.ReservedConcurrentExecutions;
      expect(concurrency, name).toBe(scheduled.has(name) ? 1 : undefined);
    }
    for (const name of scheduled) {
      template().hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId(name) },
        MaximumRetryAttempts: 0,
      });
    }
    const rules = template().findResources('AWS::Events::Rule', {
      Properties: { ScheduleExpression: Match.anyValue() },
    });
    expect(Object.keys(rules)).toHaveLength(Object.keys(resourceDefinition.schedules).length);
    for (const rule of Object.values(rules)) {
      expect(rule.Properties.Targets[0].RetryPolicy.MaximumRetryAttempts).toBe(0);
    }
  });

  it('throttle the API, log every request and answer CORS preflights exposing Content-Range', () => {
    template().hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 80 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
    template().hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://portal.example.org'],
        ExposeHeaders: Match.arrayWith(['content-range']),
      },
    });
  });

  it('protect every table against deletion', () => {
    for (const name of Object.keys(resourceDefinition.tables)) {
      expect(resource(template(), tableId(name)).Properties.DeletionProtectionEnabled, name).toBe(true);
    }
  });
});
