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

/**
 * The SDK's default logger has an `info` method, so every call builds a filtered copy of its input
 * and output for a log line nobody reads; without `info` the SDK skips that work.
 */
const quietLogger = { debug: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * dynalite and local-aws-sqs check that a request carries a SigV4 header, not that the signature is
 * right; signing every request costs a third of a call's CPU on the embedded runtime. S3 keeps
 * real signing, because presigned URLs depend on it.
 */
const emulatorSigner = {
  sign: async (request: { headers: Record<string, string> }) => {
    request.headers['x-amz-date'] = '20260101T000000Z';
    request.headers.authorization =
      'AWS4-HMAC-SHA256 Credential=S3RVER/20260101/us-east-1/emulator/aws4_request, SignedHeaders=host;x-amz-date, Signature=00';
    return request;
  },
};

export function createAwsClients(options: ClientOptions = {}): AwsClients {
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const local = options.endpoints;
  const requestHandler = local
    ? new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) })
    : undefined;
  const common = {
    region,
    logger: quietLogger as never,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(requestHandler ? { requestHandler } : {}),
  };
  const unsigned = local ? { signer: emulatorSigner as never } : {};
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...common, ...unsigned, ...(local ? { endpoint: local.dynamodb } : {}) }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  // Locally the MD5 check of every message body guards a loopback connection: skip it.
  const sqs = new SQSClient({
    ...common,
    ...unsigned,
    ...(local ? { endpoint: local.sqs, md5: false } : {}),
  });
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
