/**
 * `-c identity=cognito`: the stack brings a Cognito user pool (Essentials plan), one group per DIRAC
 * group, the V2 pre-token-generation trigger, the CLI's public PKCE client on muon login's loopback
 * port, and deploys a configuration whose issuer and audience are that pool and client, so the
 * authorizer trusts them. cdk-nag finds nothing unacknowledged in it.
 */
import { spawnSync } from 'node:child_process';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cognitoCallbackUrls } from '#infra/constructs/identity.ts';
import { cognitoGroupName } from '#shared/auth/cognito-claims.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import { cognitoPreTokenFunction, physicalName } from '#shared/resources.ts';
import {
  logicalId,
  prefix,
  removeTemporaryDirectories,
  type Synthesized,
  synthesize,
  temporaryDirectory,
} from './synth.ts';

let synthesized: Synthesized;
let template: Template;
beforeAll(() => {
  synthesized = synthesize({ identity: 'cognito' });
  template = Template.fromStack(synthesized.stack);
});
afterAll(removeTemporaryDirectories);

const identity = () => {
  const made = synthesized.stack.identity;
  if (!made) throw new Error('no identity construct');
  return made;
};

describe('the Cognito identity provider (-c identity=cognito)', () => {
  it('makes a user pool on the Essentials plan with MFA and no self sign-up', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolName: `${prefix}-users`,
      UserPoolTier: 'ESSENTIALS',
      MfaConfiguration: 'ON',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
  });

  it('makes one Cognito group per DIRAC group, the VO default group first', () => {
    const config = loadConfigFile('config/muon.yaml');
    const expected = Object.entries(config.virtualOrganizations).flatMap(([vo, settings]) =>
      Object.keys(settings.groups).map((group) => cognitoGroupName(vo, group)),
    );
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map(
      (group) => group.Properties as { GroupName: string; Precedence: number },
    );
    expect(groups.map((group) => group.GroupName).sort()).toEqual([...expected].sort());
    const [vo, settings] = Object.entries(config.virtualOrganizations)[0] ?? [];
    if (!vo || !settings) throw new Error('no VO');
    expect(groups.find((group) => group.Precedence === 0)?.GroupName).toBe(
      cognitoGroupName(vo, settings.defaultGroup),
    );
  });

  it('runs the pre-token-generation trigger on the V3 event (users and pilots), reading the live configuration', () => {
    const trigger = logicalId(synthesized.stack, identity().trigger);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: {
        PreTokenGenerationConfig: { LambdaVersion: 'V3_0', LambdaArn: { 'Fn::GetAtt': [trigger, 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: physicalName(prefix, 'cognitoPreToken'),
      Timeout: cognitoPreTokenFunction.timeoutSeconds,
      Environment: { Variables: Match.objectLike({ MUON_CONFIG: Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'cognito-idp.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [trigger, 'Arn'] },
    });
  });

  it("gives the CLI a public client: authorization code (PKCE) on muon login's loopback port", () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: `${prefix}-cli`,
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      CallbackURLs: cognitoCallbackUrls,
      AllowedOAuthScopes: Match.arrayWith(['openid']),
    });
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
  });

  it('gives pilots a confidential client-credentials client with the pilot scope', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: `${prefix}-api`,
      Scopes: [Match.objectLike({ ScopeName: 'pilot' })],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: `${prefix}-pilot`,
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthScopes: [
        { 'Fn::Join': ['', [{ Ref: logicalId(synthesized.stack, identity().resourceServer) }, '/pilot']] },
      ],
    });
  });

  it("gives the web monitor a public client that comes back to the monitor's address", () => {
    const distribution = logicalId(synthesized.stack, synthesized.stack.web.distribution);
    const monitor = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }, '/']] };
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: `${prefix}-web`,
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      CallbackURLs: [monitor],
      LogoutURLs: [monitor],
    });
    const pages = JSON.stringify(template.findResources('Custom::CDKBucketDeployment'));
    expect(pages).toContain(logicalId(synthesized.stack, identity().webClient));
  });

  it('deploys a configuration whose issuer is the pool and whose audience is the CLI client', () => {
    const resolved = synthesized.stack.resolve(identity().configure(loadConfigFile('config/muon.yaml')));
    const pool = logicalId(synthesized.stack, identity().userPool);
    const client = logicalId(synthesized.stack, identity().cliClient);
    // ProviderURL: https://cognito-idp.<region>.amazonaws.com/<pool id>, the tokens' iss.
    expect(resolved.auth.issuer).toEqual({ 'Fn::GetAtt': [pool, 'ProviderURL'] });
    const pilot = logicalId(synthesized.stack, identity().pilotClient);
    const web = logicalId(synthesized.stack, identity().webClient);
    expect(resolved.auth.audience).toEqual([{ Ref: client }, { Ref: pilot }, { Ref: web }]);
    expect(resolved.auth.login.clientId).toEqual({ Ref: client });
    // The live document the authorizer reads is the one deployed with those values.
    const deployment = JSON.stringify(template.findResources('Custom::CDKBucketDeployment'));
    expect(deployment).toContain(pool);
    expect(deployment).toContain(client);
  });

  it('outputs the pool and its clients for the deploy walk-through', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'CognitoIssuer',
        'CognitoUserPoolId',
        'CognitoCliClientId',
        'CognitoPilotClientId',
        'CognitoWebClientId',
      ]),
    );
  });

  it('leaves cdk-nag nothing unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(synthesized.stack);
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
    );
    expect(findings).toEqual([]);
  });

  it('is absent without the option', () => {
    const plain = synthesize();
    expect(plain.stack.identity).toBeUndefined();
    Template.fromStack(plain.stack).resourceCountIs('AWS::Cognito::UserPool', 0);
  });
});

describe('cdk synth -c identity=...', () => {
  const synth = (identity: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ identity, 'aws:cdk:bundling-stacks': [] }),
        CDK_OUTDIR: temporaryDirectory(),
      },
    });

  it('synthesizes the shipped configuration with Cognito: its placeholder issuer is replaced by the pool', () => {
    const result = synth('cognito');
    expect(result.stderr).not.toContain('placeholder');
    expect(result.status).toBe(0);
  }, 60_000);

  it('refuses another value, naming it', () => {
    const result = synth('okta');
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('Context "identity" must be cognito (or absent), not "okta".');
  }, 60_000);
});
