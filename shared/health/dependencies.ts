/**
 * The health of the services the API depends on: DynamoDB (the job database), SQS (the executor
 * queues) and S3 (the sandbox store), each probed with one cheap read under a short deadline. A
 * DIRAC operator reads the same from the SystemAdministrator's component status; a load balancer
 * or `muon local`'s user reads it from `GET /api/health`.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { AwsClients, ResourceNames } from '#shared/deps.ts';

export type DependencyName = 'dynamodb' | 'sqs' | 's3';

export interface DependencyHealth {
  readonly status: 'ok' | 'unavailable';
  readonly ms: number;
  /** Why it is unavailable: the error's name and message, or the deadline that passed. */
  readonly error?: string;
}

export type DependenciesHealth = Readonly<Record<DependencyName, DependencyHealth>>;

export interface HealthProbeDeps {
  readonly aws: AwsClients;
  readonly resources: ResourceNames;
  /** How long one probe may take before its dependency counts as unavailable. */
  readonly timeoutMs?: number;
}

export function createDependencyProbe(deps: HealthProbeDeps): () => Promise<DependenciesHealth> {
  const { aws, resources } = deps;
  const timeoutMs = deps.timeoutMs ?? 2000;
  const probes: Record<DependencyName, (abortSignal: AbortSignal) => Promise<unknown>> = {
    dynamodb: (abortSignal) =>
      aws.dynamo.send(
        new DescribeTableCommand({ TableName: required(resources.tables.jobs, 'jobs table') }),
        {
          abortSignal,
        },
      ),
    sqs: (abortSignal) =>
      aws.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: required(resources.queues.jobPath, 'jobPath queue'),
          AttributeNames: ['QueueArn'],
        }),
        { abortSignal },
      ),
    s3: (abortSignal) =>
      aws.s3.send(new HeadBucketCommand({ Bucket: required(resources.bucket, 'bucket') }), { abortSignal }),
  };
  const probe = async (run: (signal: AbortSignal) => Promise<unknown>): Promise<DependencyHealth> => {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      await run(controller.signal);
      return { status: 'ok', ms: ms() };
    } catch (error) {
      const reason = controller.signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : `${(error as Error).name}: ${(error as Error).message}`;
      return { status: 'unavailable', ms: ms(), error: reason };
    } finally {
      clearTimeout(timer);
    }
  };
  return async () => {
    const [dynamodb, sqs, s3] = await Promise.all([
      probe(probes.dynamodb),
      probe(probes.sqs),
      probe(probes.s3),
    ]);
    return { dynamodb, sqs, s3 } as DependenciesHealth;
  };
}

function required(name: string | undefined, what: string): string {
  if (!name) throw new Error(`The health function was not granted the ${what}.`);
  return name;
}
