/**
 * Granting a function a resource. Each helper both grants the IAM permissions and sets the
 * environment variable that names the resource, so what a function may touch and what it is told
 * about cannot drift apart. A function is granted nothing else.
 */
import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { batchEnvironmentNames } from '#shared/ce/factory.ts';
import type {
  BucketAccess,
  FunctionDefinition,
  QueueAccess,
  QueueName,
  TableAccess,
  TableName,
} from '#shared/resources.ts';
import { environmentNames } from '#shared/resources.ts';
import type { PilotBatch } from './batch.ts';
import { arnInFinding, suppress } from './nag.ts';

export function grantTable(
  fn: lambda.Function,
  name: TableName,
  table: dynamodb.ITable,
  access: TableAccess,
): void {
  if (access === 'read') table.grantReadData(fn);
  else table.grantReadWriteData(fn);
  fn.addEnvironment(environmentNames.table(name), table.tableName);
  suppress(fn, `AwsSolutions-IAM5[Resource::${arnInFinding(table)}/index/*]`, [
    'Every index of a granted table (shared/resources.ts) is queried by the stores that read it;',
    'the grant names the table, and its indexes are the table itself.',
  ]);
}

/**
 * `send` lets the function send messages; `consume` makes the queue the function's event source,
 * which grants receiving and deleting; `consumeAndSend` does both. Either way the function learns the queue's URL.
 */
export function grantQueue(
  fn: lambda.Function,
  name: QueueName,
  queue: sqs.IQueue,
  access: QueueAccess,
  consumes: FunctionDefinition['consumes'],
): void {
  if (access === 'send' || access === 'consumeAndSend') queue.grantSendMessages(fn);
  if (access === 'consume' || access === 'consumeAndSend') {
    if (consumes?.queue !== name) throw new Error(`${fn.node.path} consumes ${name} without "consumes".`);
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: consumes.batchSize,
        // One failed message is retried alone instead of its whole batch.
        reportBatchItemFailures: true,
        maxConcurrency: lambdaMaxConcurrency(consumes.maxConcurrency),
      }),
    );
  }
  fn.addEnvironment(environmentNames.queue(name), queue.queueUrl);
}

export function grantBucket(fn: lambda.Function, bucket: s3.IBucket, access: BucketAccess): void {
  if (access === 'read') bucket.grantRead(fn);
  else bucket.grantReadWrite(fn);
  fn.addEnvironment(environmentNames.bucket, bucket.bucketName);
  const objectActions = [
    'GetObject*',
    'GetBucket*',
    'List*',
    ...(access === 'read' ? [] : ['DeleteObject*', 'Abort*']),
  ];
  suppress(
    fn,
    [
      `AwsSolutions-IAM5[Resource::${arnInFinding(bucket)}/*]`,
      ...objectActions.map((action) => `AwsSolutions-IAM5[Action::s3:${action}]`),
    ],
    [
      "The sandbox bucket's objects are keyed by job, sandbox and pilot at run time, so a grant is on",
      "the bucket's objects; the actions are the read (or read-write) set CDK grants, nothing more.",
    ],
  );
}

/**
 * An SQS event source's maximum concurrency must lie between 2 and 1000; the local runtime can honour
 * 1, so the definition may ask for it and the cloud gets the nearest allowed value.
 */
export const lambdaMaxConcurrency = (requested: number): number =>
  Math.min(1000, Math.max(2, Math.round(requested)));

/**
 * The site director's access to the pilot queue: submit from the pilot job definition (any
 * revision) to the pilot queue, terminate pilots, and read the queue (DescribeJobs and ListJobs
 * take no resource). It learns the queue, the job definition and the API the pilots talk to.
 */
export function grantPilotBatch(fn: lambda.Function, pilots: PilotBatch, apiUrl: string): void {
  const stack = Stack.of(fn);
  const definitionName = pilots.jobDefinitionName;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['batch:SubmitJob'],
      resources: [
        pilots.jobQueue.jobQueueArn,
        stack.formatArn({
          service: 'batch',
          resource: 'job-definition',
          resourceName: `${definitionName}:*`,
        }),
      ],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['batch:TerminateJob'],
      resources: [stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' })],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['batch:DescribeJobs', 'batch:ListJobs'], resources: ['*'] }),
  );
  suppress(
    fn,
    [
      'AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job-definition/${definitionName}:*]`,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job/*]',
    ],
    [
      'DescribeJobs and ListJobs take no resource; a pilot job id is known only once submitted, so',
      'TerminateJob names jobs; SubmitJob may use any revision of the pilot job definition.',
    ],
  );
  fn.addEnvironment(batchEnvironmentNames.jobQueue, pilots.jobQueue.jobQueueArn);
  fn.addEnvironment(batchEnvironmentNames.jobDefinition, pilots.jobDefinition.jobDefinitionArn);
  fn.addEnvironment('MUON_API_URL', apiUrl);
}
