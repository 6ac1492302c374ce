/**
 * The web monitor's cloud construct: CloudFront in front of a private bucket (origin access
 * control) for the pages and of the HTTP API for `/api/*` (nothing cached, the token forwarded),
 * and a deployment that uploads the pages with their `/config.json`.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebMonitor } from '#infra/constructs/web.ts';

function synthesize(): Template {
  // No bundling: the pages' esbuild build is exercised by the browser tests and scripts/build-web.mjs.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'WebTest');
  const api = new apigw.HttpApi(stack, 'Api');
  new WebMonitor(stack, 'Web', {
    prefix: 'test',
    api,
    login: { issuer: 'https://iam.example.org/', clientId: 'muon-web', scope: 'openid profile' },
  });
  return Template.fromStack(stack);
}

describe('Web monitor in the cloud', { timeout: 60_000 }, () => {
  let template: Template;
  beforeAll(() => {
    template = synthesize();
  }, 120_000);

  it('serves the pages from a private bucket through CloudFront with origin access control', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
      }),
    });
  });

  it('sends /api/* to the HTTP API uncached, with every method and the viewer headers but Host', () => {
    const [distribution] = Object.values(template.findResources('AWS::CloudFront::Distribution'));
    const config = distribution?.Properties.DistributionConfig;
    const behaviour = config.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === '/api/*');
    expect(behaviour).toMatchObject({
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      // AWS's managed CachingDisabled and AllViewerExceptHostHeader policies.
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
      ViewerProtocolPolicy: 'https-only',
    });
    const origin = config.Origins.find((o: { Id: string }) => o.Id === behaviour.TargetOriginId);
    expect(JSON.stringify(origin.DomainName)).toContain('ApiF70053CD');
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only' });
  });

  it('uploads the pages and /config.json, and invalidates the distribution', () => {
    const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
    // Two sources: the built pages, and the JSON document naming the identity provider.
    expect(deployment?.Properties.SourceObjectKeys).toHaveLength(2);
    expect(deployment?.Properties.SourceMarkersConfig).toEqual([{}, { jsonEscape: true }]);
    expect(deployment?.Properties).toMatchObject({ DistributionPaths: ['/*'], Prune: true });
  });
});
