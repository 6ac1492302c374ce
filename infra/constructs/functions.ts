/**
 * One Lambda function per entry of the definition's `functions`, bundled by esbuild, and granted
 * exactly the tables, queues and bucket it declares. No configuration is bundled: every function
 * reads the live document from S3 (`MUON_CONFIG`, infra/constructs/configuration.ts).
 * Every function is traced by X-Ray (Powertools Tracer) and names the deployment as its Powertools
 * service, the `service` dimension of muon's metrics; a scheduled agent has a reserved concurrency
 * of 1, so two runs of it never overlap (see `Schedules`).
 */
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { metricsNamespace } from '#shared/metrics.ts';
import { environmentNames, type FunctionDefinition, physicalName } from '#shared/resources.ts';
import { entriesOf, lookup, type ResourceDefinition } from '../definition.ts';
import { repoRoot } from '../paths.ts';
import { grantBucket, grantQueue, grantTable } from './access.ts';
import { suppress } from './nag.ts';

export interface FunctionsProps {
  readonly prefix: string;
  readonly functions: ResourceDefinition['functions'];
  readonly tables: Readonly<Record<string, dynamodb.ITable>>;
  readonly queues: Readonly<Record<string, sqs.IQueue>>;
  readonly bucket: s3.IBucket;
  /** The payload-token key, read by the functions that declare `payloadKey`. */
  readonly payloadKey: secretsmanager.ISecret;
  /** Functions run by a schedule: at most one at a time. */
  readonly scheduled: ReadonlySet<string>;
}

export class Functions extends Construct {
  readonly byName: Readonly<Record<string, NodejsFunction>>;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const byName: Record<string, NodejsFunction> = {};
    for (const [name, definition] of Object.entries(props.functions)) {
      const fn = muonFunction(this, name, definition, {
        prefix: props.prefix,
        scheduled: props.scheduled.has(name),
      });
      for (const [table, access] of entriesOf(definition.tables)) {
        grantTable(fn, table, lookup(props.tables, 'table', table, `function ${name}`), access);
      }
      for (const [queue, access] of entriesOf(definition.queues)) {
        const target = lookup(props.queues, 'queue', queue, `function ${name}`);
        grantQueue(fn, queue, target, access, definition.consumes);
      }
      if (definition.bucket) grantBucket(fn, props.bucket, definition.bucket);
      if (definition.payloadKey) {
        props.payloadKey.grantRead(fn);
        fn.addEnvironment(environmentNames.payloadKey, props.payloadKey.secretArn);
      }
      byName[name] = fn;
    }
    this.byName = byName;
  }
}

/**
 * One muon function as the stack builds them all: Node.js 22 on arm64, ESM bundle with source
 * maps, its own log group, X-Ray tracing, Powertools naming, the findings every function has
 * acknowledged. Also used for functions outside the definition's `functions` (the Cognito
 * trigger, infra/constructs/identity.ts).
 */
export function muonFunction(
  scope: Construct,
  name: string,
  definition: FunctionDefinition,
  options: { readonly prefix: string; readonly scheduled?: boolean },
): NodejsFunction {
  const functionName = physicalName(options.prefix, name);
  const logGroup = new logs.LogGroup(scope, `${name}Logs`, {
    logGroupName: `/aws/lambda/${functionName}`,
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const fn = new NodejsFunction(scope, name, {
    functionName,
    description: definition.description,
    entry: join(repoRoot, definition.entry),
    handler: 'handler',
    projectRoot: repoRoot,
    depsLockFilePath: join(repoRoot, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    timeout: Duration.seconds(definition.timeoutSeconds),
    memorySize: definition.memoryMb,
    logGroup,
    tracing: lambda.Tracing.ACTIVE,
    ...(options.scheduled ? { reservedConcurrentExecutions: 1 } : {}),
    environment: {
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: options.prefix,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
    },
    bundling: {
      format: OutputFormat.ESM,
      target: 'node22',
      minify: true,
      sourceMap: true,
      mainFields: ['module', 'main'],
      // The Node.js 22 runtime ships AWS SDK v3.
      externalModules: ['@aws-sdk/*'],
      // Bundled CommonJS dependencies may still call `require` for Node's built-in modules.
      banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  acknowledgeFunctionFindings(fn);
  return fn;
}

/** The findings every muon function has, acknowledged with their reasons. */
function acknowledgeFunctionFindings(fn: NodejsFunction): void {
  suppress(fn, 'AwsSolutions-L1', [
    'Pinned to Node.js 22, the runtime the bundles target (node22) and the version muon is tested on;',
    'moving to a newer runtime is a deliberate change with its own test run, not a default.',
  ]);
  suppress(
    fn,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    ["Lambda's basic execution role only lets the function write its own logs."],
  );
  suppress(fn, 'AwsSolutions-IAM5[Resource::*]', [
    'X-Ray tracing (PutTraceSegments, PutTelemetryRecords) takes no resource-level permission.',
  ]);
}
