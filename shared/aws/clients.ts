/**
 * AWS SDK clients. In the cloud they use the Lambda role and region; pointed at emulators they
 * take explicit endpoints and the settings the emulators need (path-style S3, checksums only when
 * required: see docs/local-runtime.md).
 */

import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsClients } from '#shared/deps.ts';

export interface Endpoints {
  readonly dynamodb: string;
  readonly sqs: string;
  readonly s3: string;
}

export interface ClientOptions {
  readonly region?: string;
  /** Emulator endpoints; absent in the cloud. */
  readonly endpoints?: Endpoints;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  readonly maxAttempts?: number;
}

export function createAwsClients(options: ClientOptions = {}): AwsClients {
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const local = options.endpoints;
  const requestHandler = local
    ? new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) })
    : undefined;
  const common = {
    region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(requestHandler ? { requestHandler } : {}),
  };
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...common, ...(local ? { endpoint: local.dynamodb } : {}) }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const sqs = new SQSClient({ ...common, ...(local ? { endpoint: local.sqs } : {}) });
  const s3 = new S3Client({
    ...common,
    ...(local
      ? {
          endpoint: local.s3,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  });
  return { dynamo, sqs, s3 };
}
