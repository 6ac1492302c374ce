/**
 * The live configuration in the stack: one S3 object deployed from the validated document, read
 * by every function (MUON_CONFIG s3://..., GetObject on that key) and by Batch pilots through the
 * API (MUON_CONFIG=api); `cdk synth` refuses a placeholder issuer.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configObjectKey } from '#shared/config/live.ts';
import { isPlaceholderIssuer, refusePlaceholderIssuer } from '../../../infra/config.ts';
import { removeTemporaryDirectories, type Synthesized, synthesize } from './synth.ts';

let synthesized: Synthesized;
let template: Template;
beforeAll(() => {
  synthesized = synthesize();
  template = Template.fromStack(synthesized.stack);
});
afterAll(removeTemporaryDirectories);

describe('the live configuration in the stack', () => {
  it('deploys the document once, as muon-config/muon.json of the sandbox bucket, never pruning', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketKeyPrefix: 'muon-config/',
      Prune: false,
      RetainOnDelete: true,
    });
  });

  it('points every function at the object and lets it read that key', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { MUON_CONFIG: Match.anyValue() } } },
    });
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(15);
    for (const fn of Object.values(functions)) {
      const value = JSON.stringify(fn.Properties.Environment.Variables.MUON_CONFIG);
      expect(value).toContain('s3://');
      expect(value).toContain(configObjectKey);
    }
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(`/${configObjectKey}`);
  });

  it('has Batch pilots load the live configuration from the API', () => {
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        Environment: Match.arrayWith([{ Name: 'MUON_CONFIG', Value: 'api' }]),
      }),
    });
  });

  it('refuses the placeholder issuer at synth, naming it', () => {
    expect(isPlaceholderIssuer('https://muon.local/')).toBe(true);
    expect(isPlaceholderIssuer('https://wlcg.cloud.cnaf.infn.it/')).toBe(false);
    expect(() => refusePlaceholderIssuer('config/muon.yaml')).toThrow(
      /auth.issuer is "https:\/\/muon.local\/"/,
    );
  });
});
