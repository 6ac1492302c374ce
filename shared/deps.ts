/**
 * What a function needs from the outside world, built once at the edge (a Lambda entry file, the
 * local runtime, a test) and handed to services. Nothing below `shared/` constructs clients.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  createPayloadTokens,
  type PayloadKeySource,
  type PayloadTokens,
} from '#shared/auth/payload-token.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { ConfigurationError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';
import { environmentNames, type QueueName, type TableName } from '#shared/resources.ts';

export interface AwsClients {
  readonly dynamo: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
}

/** Physical names of the resources a function was granted; absent ones were not granted. */
export interface ResourceNames {
  readonly tables: Readonly<Partial<Record<TableName, string>>>;
  readonly queues: Readonly<Partial<Record<QueueName, string>>>;
  readonly bucket?: string;
}

export interface Deps {
  readonly config: MuonConfig;
  readonly logger: Logger;
  readonly aws: AwsClients;
  readonly resources: ResourceNames;
  readonly now: () => Date;
  /** The payload-token key, for functions that sign or verify payload tokens (`payloadKey`). */
  readonly payloadKey?: PayloadKeySource;
}

export function tableName(resources: ResourceNames, table: TableName): string {
  const name = resources.tables[table];
  if (name === undefined) {
    throw new ConfigurationError(
      `Table "${table}" is not available to this function: ${environmentNames.table(table)} is not set.`,
    );
  }
  return name;
}

export function queueUrl(resources: ResourceNames, queue: QueueName): string {
  const url = resources.queues[queue];
  if (url === undefined) {
    throw new ConfigurationError(
      `Queue "${queue}" is not available to this function: ${environmentNames.queue(queue)} is not set.`,
    );
  }
  return url;
}

export function bucketName(resources: ResourceNames): string {
  if (resources.bucket === undefined) {
    throw new ConfigurationError(
      `The sandbox bucket is not available to this function: ${environmentNames.bucket} is not set.`,
    );
  }
  return resources.bucket;
}

export function payloadKeyOf(deps: Pick<Deps, 'payloadKey'>): PayloadKeySource {
  if (deps.payloadKey === undefined) {
    throw new ConfigurationError(
      `The payload-token key is not available to this function: ${environmentNames.payloadKey} is not set.`,
    );
  }
  return deps.payloadKey;
}

/** Payload tokens for this deployment's API (its first audience), signed with the payload key. */
export function payloadTokensOf(deps: Pick<Deps, 'payloadKey' | 'config' | 'now'>): PayloadTokens {
  return createPayloadTokens({
    key: payloadKeyOf(deps),
    audience: deps.config.auth.audience[0] as string,
    now: deps.now,
  });
}
