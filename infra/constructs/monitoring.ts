/**
 * Alarms and the operations dashboard (plain CDK; DIRAC: the Monitoring system's plots and the
 * shifter's checks). Every alarm notifies one SNS topic, `<prefix>-alarms`, with an e-mail
 * subscription when `alarmEmail` is given (`cdk deploy -c alarmEmail=ops@example.org`).
 * docs/operations.md says what each alarm means and what to do.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { metricNames, metricsNamespace } from '#shared/metrics.ts';
import { physicalName } from '#shared/resources.ts';
import type { ResourceDefinition } from '../definition.ts';
import { stackSingletons, suppress } from './nag.ts';

export interface MonitoringProps {
  readonly prefix: string;
  readonly alarmEmail?: string;
  readonly definition: ResourceDefinition;
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly queues: Readonly<Record<string, sqs.IQueue>>;
  readonly deadLetters: Readonly<Record<string, sqs.IQueue>>;
  readonly tables: Readonly<Record<string, dynamodb.ITable>>;
  readonly api: apigw.IHttpApi;
  readonly pilotQueue: batch.IJobQueue;
}

/** Thresholds, per five minutes unless said otherwise; docs/operations.md explains each. */
export const alarmThresholds = {
  deadLetterMessages: 1,
  functionErrors: 1,
  functionThrottles: 1,
  api5xx: 5,
  tableThrottles: 1,
  /** Failed pilot jobs in 15 minutes: a few fail for ordinary reasons (Spot reclaims). */
  failedPilots: 5,
} as const;

const period = Duration.minutes(5);

/** The id CDK gives the one function behind every AwsCustomResource of a stack. */
const awsCustomResourceId = 'AWS679f53fac002430cb0da5b7982bd2287';

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', {
      topicName: physicalName(props.prefix, 'alarms'),
      displayName: `muon ${props.prefix} alarms`,
      enforceSSL: true,
    });
    suppress(this.topic, 'AwsSolutions-SNS2', [
      'Alarm notifications carry alarm names and states only; CloudWatch cannot publish to a topic',
      'encrypted with the AWS-managed SNS key, and a customer key would cost more than it protects.',
    ]);
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new actions.SnsAction(this.topic);
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, name, {
        alarmName: `${props.prefix}-${name}`,
        alarmDescription: `${description} See docs/operations.md#${name.replace(/-.*/, '').toLowerCase()}.`,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    for (const [name, queue] of Object.entries(props.deadLetters)) {
      alarm(
        `DeadLetters-${name}`,
        queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        alarmThresholds.deadLetterMessages,
        `Messages of the ${name} queue failed ${props.definition.queues[name]?.maxReceiveCount} times and wait in its dead-letter queue.`,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(
        `Errors-${name}`,
        fn.metricErrors({ period, statistic: 'Sum' }),
        alarmThresholds.functionErrors,
        `Function ${name} ended invocations with an error.`,
      );
      alarm(
        `Throttles-${name}`,
        fn.metricThrottles({ period, statistic: 'Sum' }),
        alarmThresholds.functionThrottles,
        `Function ${name} was throttled (account concurrency, or an agent run still going at its next tick).`,
      );
    }
    alarm(
      'Api5xx',
      props.api.metricServerError({ period, statistic: 'Sum' }),
      alarmThresholds.api5xx,
      'The API answered 5xx (a function failed or timed out).',
    );
    for (const [name, table] of Object.entries(props.tables)) {
      alarm(
        `TableThrottles-${name}`,
        tableThrottles(table, Object.keys(props.definition.tables[name]?.indexes ?? {})),
        alarmThresholds.tableThrottles,
        `DynamoDB throttled reads or writes of the ${name} table or its indexes.`,
      );
    }
    const failedPilots = this.failedPilotsRule(props);
    alarm(
      'FailedPilots',
      new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'TriggeredRules',
        dimensionsMap: { RuleName: failedPilots.ruleName },
        period: Duration.minutes(15),
        statistic: 'Sum',
      }),
      alarmThresholds.failedPilots,
      'AWS Batch pilot jobs ended FAILED.',
    );

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: physicalName(props.prefix, 'operations'),
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(...dashboardWidgets(props, this.alarms));
  }

  /** Failed pilot jobs of this stack's queue, kept in a log group and counted by the rule. */
  private failedPilotsRule(props: MonitoringProps): events.Rule {
    const failures = new logs.LogGroup(this, 'FailedPilotJobs', {
      logGroupName: `/aws/events/${physicalName(props.prefix, 'failed-pilot-jobs')}`,
      retention: logs.RetentionDays.ONE_MONTH,
    });
    const rule = new events.Rule(this, 'FailedPilotJobsRule', {
      description: 'AWS Batch pilot jobs of this stack that ended FAILED (kept in a log group).',
      eventPattern: {
        source: ['aws.batch'],
        detailType: ['Batch Job State Change'],
        detail: { status: ['FAILED'], jobQueue: [props.pilotQueue.jobQueueArn] },
      },
      targets: [new targets.CloudWatchLogGroup(failures)],
    });
    // The log group target lets EventBridge write through a resource policy, which CDK installs with
    // a stack-level custom resource: acknowledged there, where CDK puts it.
    for (const child of stackSingletons(this, 'EventsLogGroupPolicy'))
      suppress(child, 'AwsSolutions-IAM5[Resource::*]', [
        'PutResourcePolicy (the log group policy that lets EventBridge write) takes no resource.',
      ]);
    for (const child of stackSingletons(this, awsCustomResourceId))
      suppress(
        child,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        ["CDK's custom-resource function only writes its own logs with this role."],
      );
    return rule;
  }
}

/** Read and write throttles of a table and of each of its indexes, as one sum. */
function tableThrottles(table: dynamodb.ITable, indexes: readonly string[]): cloudwatch.IMetric {
  const usingMetrics: Record<string, cloudwatch.IMetric> = {};
  const add = (metricName: string, index?: string) => {
    usingMetrics[`m${Object.keys(usingMetrics).length}`] = new cloudwatch.Metric({
      namespace: 'AWS/DynamoDB',
      metricName,
      dimensionsMap: { TableName: table.tableName, ...(index ? { GlobalSecondaryIndexName: index } : {}) },
      period,
      statistic: 'Sum',
    });
  };
  for (const index of [undefined, ...indexes]) {
    add('ReadThrottleEvents', index);
    add('WriteThrottleEvents', index);
  }
  return new cloudwatch.MathExpression({
    expression: Object.keys(usingMetrics).join(' + '),
    usingMetrics,
    label: 'throttled requests',
    period,
  });
}

const muonMetric = (props: MonitoringProps, metricName: string, statistic = 'Sum', dimensions = {}) =>
  new cloudwatch.Metric({
    namespace: metricsNamespace,
    metricName,
    dimensionsMap: { service: props.prefix, ...dimensions },
    period,
    statistic,
  });

function dashboardWidgets(props: MonitoringProps, alarms: readonly cloudwatch.Alarm[]): cloudwatch.IWidget[] {
  const width = 8;
  const region = Stack.of(props.api).region;
  const jobs = [
    metricNames.jobsSubmitted,
    metricNames.jobsMatched,
    metricNames.jobsDone,
    metricNames.jobsFailed,
  ];
  const executorQueues = Object.entries(props.queues);
  return [
    new cloudwatch.TextWidget({
      markdown: `# muon ${props.prefix}\nJobs, matcher, executors, pilots, API and tables (${region}). Alarms: docs/operations.md.`,
      width: 24,
      height: 2,
    }),
    new cloudwatch.GraphWidget({
      title: 'Jobs per 5 minutes',
      left: jobs.map((name) => muonMetric(props, name)),
      width,
    }),
    new cloudwatch.GraphWidget({
      title: 'Match latency (ms)',
      left: ['p50', 'p90', 'p99'].map((statistic) => muonMetric(props, metricNames.matchLatency, statistic)),
      right: [muonMetric(props, metricNames.matchLatency, 'SampleCount')],
      width,
    }),
    new cloudwatch.GraphWidget({
      title: 'Pilots by status',
      left: ['Submitted', 'Waiting', 'Running', 'Done', 'Failed', 'Aborted'].map((status) =>
        muonMetric(props, metricNames.pilots, 'Maximum', { status }),
      ),
      width,
    }),
    new cloudwatch.GraphWidget({
      title: 'Executor backlog (messages waiting)',
      left: executorQueues.map(([, queue]) =>
        queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      ),
      width,
    }),
    new cloudwatch.GraphWidget({
      title: 'Oldest waiting message (s)',
      left: executorQueues.map(([, queue]) =>
        queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
      ),
      width,
    }),
    new cloudwatch.GraphWidget({
      title: 'Dead-letter queues',
      left: Object.values(props.deadLetters).map((queue) =>
        queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      ),
      width,
    }),
    new cloudwatch.GraphWidget({
      title: 'API requests and errors',
      left: [props.api.metricCount({ period })],
      right: [props.api.metricClientError({ period }), props.api.metricServerError({ period })],
      width,
    }),
    new cloudwatch.GraphWidget({
      title: 'API latency (ms)',
      left: ['p50', 'p99'].map((statistic) => props.api.metricLatency({ period, statistic })),
      width,
    }),
    new cloudwatch.GraphWidget({
      title: 'Function errors and throttles',
      left: Object.values(props.functions).map((fn) => fn.metricErrors({ period })),
      right: Object.values(props.functions).map((fn) => fn.metricThrottles({ period })),
      width,
    }),
    new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms], width: 24 }),
  ];
}
