/** The sandbox bucket: private, TLS only, with the definition's expiry per prefix. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ResourceDefinition } from '../definition.ts';
import { suppress } from './nag.ts';

export interface SandboxBucketProps {
  readonly bucket: ResourceDefinition['bucket'];
}

export class SandboxBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SandboxBucketProps) {
    super(scope, id);
    // No bucketName: bucket names are global, so CloudFormation picks a unique one and functions
    // learn it from their environment.
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        ...props.bucket.lifecycle.map((rule) => ({
          id: `expire-${rule.prefix.replace(/[^A-Za-z0-9-]/g, '')}`,
          prefix: rule.prefix,
          expiration: Duration.days(rule.expireAfterDays),
        })),
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    suppress(this.bucket, 'AwsSolutions-S1', [
      'Objects are reached only through presigned URLs that the sandbox store, the data manager and the',
      'pilots service sign for one caller after checking it, and log; server access logs would need',
      'a second bucket and repeat those lines.',
    ]);
  }
}
