/**
 * The web monitor in the cloud (DIRAC's WebAppDIRAC, served here without a server): its files in a
 * private S3 bucket behind CloudFront (origin access control), and `/api/*` on the same
 * distribution forwarded to the HTTP API, so the pages call the API on their own origin with the
 * user's token and no CORS. `/config.json` names the identity provider the pages log in with
 * (authorization code with PKCE, a public client registered there for the monitor's URL).
 */
import { DockerImage, Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import * as esbuild from 'esbuild';
import { webSourceDir, writeWebAssetsSync } from '#local/web-build.ts';
import { arnInFinding, stackSingletons } from './nag.ts';

export interface WebMonitorProps {
  readonly prefix: string;
  readonly api: apigw.IHttpApi;
  /** What the pages read from `/config.json`. */
  readonly login: { readonly issuer: string; readonly clientId: string; readonly scope: string };
}

export class WebMonitor extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** `https://<distribution>.cloudfront.net`: the monitor, and the API under `/api/`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebMonitorProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Files', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Built files only, rebuilt by every deployment: nothing to keep when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    // apiEndpoint is https://<id>.execute-api.<region>.amazonaws.com: CloudFront wants the host.
    const apiHost = Fn.select(2, Fn.split('/', props.api.apiEndpoint));
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${props.prefix} web monitor`,
      defaultRootObject: 'index.html',
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        // The file names carry no hash: a short TTL lets a deployment show within minutes.
        cachePolicy: new cloudfront.CachePolicy(this, 'FilesCache', {
          defaultTtl: Duration.minutes(5),
          maxTtl: Duration.hours(1),
          enableAcceptEncodingGzip: true,
          enableAcceptEncodingBrotli: true,
        }),
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      additionalBehaviors: {
        // Nothing of the API is cached; every header but Host (the Authorization too, which an
        // uncached behaviour may forward) goes to API Gateway.
        '/api/*': {
          origin: new origins.HttpOrigin(apiHost, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    // CDK's asset bundling, done locally with esbuild (no Docker); skipped where a synth asks for no
    // bundling (the infra tests), as the functions' bundling is.
    const files = s3deploy.Source.asset(webSourceDir, {
      bundling: {
        image: DockerImage.fromRegistry('node:22-slim'),
        local: {
          tryBundle: (outputDir) => {
            writeWebAssetsSync(outputDir, esbuild);
            return true;
          },
        },
      },
    });
    const deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      sources: [files, s3deploy.Source.jsonData('config.json', props.login)],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 512,
    });

    // cdk-nag's AwsSolutions findings that do not apply here, acknowledged with their reasons.
    const acknowledged: Record<string, string> = {
      'AwsSolutions-S1':
        "The bucket holds the built monitor only; CloudFront is the one reader and logs are the API's.",
      'AwsSolutions-CFR1':
        "A VO spans countries; who may see data is decided by the API's tokens, not by geography.",
      'AwsSolutions-CFR2': 'The API behind /api/* has its own throttling; the pages are static files.',
      'AwsSolutions-CFR3': 'Requests to the API are logged by API Gateway; static files need no log.',
      'AwsSolutions-CFR4':
        'The default cloudfront.net certificate; TLS 1.2 is the minimum once a custom domain is added.',
      'AwsSolutions-IAM4':
        "CDK's BucketDeployment and auto-delete functions use the AWS managed basic execution role.",
      'AwsSolutions-IAM5':
        "CDK's BucketDeployment copies every file of its asset into the bucket (object wildcards).",
      'AwsSolutions-L1': "CDK's BucketDeployment function picks its own runtime.",
    };
    for (const [id, reason] of Object.entries(acknowledged)) Validations.of(this).acknowledge({ id, reason });
    this.acknowledgeDeploymentHandler(deployment);
  }

  /**
   * CDK's BucketDeployment runs one function per stack (outside this construct) whose role reads
   * the CDK asset bucket and writes this one, with the wildcards S3 copies need.
   */
  private acknowledgeDeploymentHandler(deployment: s3deploy.BucketDeployment): void {
    const wildcards = [
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::s3:DeleteObject*',
      'Action::s3:Abort*',
      'Resource::*',
      `Resource::${arnInFinding(this.bucket)}/*`,
      'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
    ];
    const reason = "CDK's BucketDeployment copies its asset's files into the monitor's bucket.";
    // BucketDeployment's function is a stack-level singleton per memory size: this deployment's is
    // the 512 MiB one, and it reads CDK's asset bucket as the configuration's does.
    for (const scope of [deployment.handlerRole, ...stackSingletons(this, 'Custom::CDKBucketDeployment')]) {
      for (const part of wildcards)
        Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${part}]`, reason });
      Validations.of(scope).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's BucketDeployment function writes its logs with the AWS managed basic execution role.",
      });
      Validations.of(scope).acknowledge({
        id: 'AwsSolutions-L1',
        reason: "CDK's BucketDeployment picks its runtime.",
      });
    }
  }
}
