/**
 * The live configuration in the cloud (shared/config/live.ts): the document validated at synth is
 * deployed once, as the S3 object `muon-config/muon.json` of the sandbox bucket, by a
 * BucketDeployment (so values known only at deploy, as a Cognito issuer, are filled in then).
 * Every function gets `MUON_CONFIG=s3://<bucket>/muon-config/muon.json` and may read that one key;
 * it reads the document at cold start and again when it changes (`muon config push`). Nothing is
 * bundled into the functions or the pilot image any more. DIRAC counterpart: the Configuration
 * Service's master copy.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { configObjectKey } from '#shared/config/live.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { environmentNames } from '#shared/resources.ts';
import { arnInFinding, stackSingletons, suppress } from './nag.ts';

export interface LiveConfigurationProps {
  readonly bucket: s3.IBucket;
  readonly config: MuonConfig;
}

export class LiveConfiguration extends Construct {
  /** `s3://<bucket>/muon-config/muon.json`, as MUON_CONFIG. */
  readonly uri: string;
  readonly deployment: s3deploy.BucketDeployment;
  private readonly bucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: LiveConfigurationProps) {
    super(scope, id);
    this.bucket = props.bucket;
    const slash = configObjectKey.lastIndexOf('/');
    this.deployment = new s3deploy.BucketDeployment(this, 'Document', {
      destinationBucket: props.bucket,
      destinationKeyPrefix: configObjectKey.slice(0, slash + 1),
      sources: [s3deploy.Source.jsonData(configObjectKey.slice(slash + 1), props.config)],
      // Only this one object: sandboxes under other prefixes are never touched, and a deleted
      // stack leaves the live document with the retained bucket.
      prune: false,
      retainOnDelete: true,
      contentType: 'application/json',
    });
    suppress(
      this.deployment,
      ['AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-L1'],
      [
        "CDK's BucketDeployment custom resource (its role, managed policy and runtime are CDK's own);",
        'it runs at deploy time only, to write the configuration object.',
      ],
    );
    // The deployment's function is one per stack, made at the stack's root.
    for (const child of stackSingletons(this, 'Custom::CDKBucketDeployment')) {
      suppress(
        child,
        [
          'AwsSolutions-IAM4',
          'AwsSolutions-IAM5',
          'AwsSolutions-L1',
          `AwsSolutions-IAM5[Resource::${arnInFinding(props.bucket)}/*]`,
          'AwsSolutions-IAM5[Action::s3:GetObject*]',
          'AwsSolutions-IAM5[Action::s3:GetBucket*]',
          'AwsSolutions-IAM5[Action::s3:List*]',
          'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
          'AwsSolutions-IAM5[Action::s3:Abort*]',
        ],
        ["CDK's BucketDeployment function: CDK's own role, policy and runtime, run at deploy time only."],
      );
    }
    this.uri = `s3://${props.bucket.bucketName}/${configObjectKey}`;
  }

  /** `fn` reads the live configuration: GetObject on its one key, and MUON_CONFIG naming it. */
  grantRead(fn: lambda.Function): void {
    // GetObject on the one key (grantRead would add GetObject*, List* and the bucket's wildcards).
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(configObjectKey)],
      }),
    );
    fn.addEnvironment(environmentNames.config, this.uri);
  }
}
