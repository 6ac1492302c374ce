import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '#shared/config/load.ts';
import { physicalName } from '#shared/resources.ts';
import {
  actionsOf,
  logicalId,
  prefix,
  removeTemporaryDirectories,
  resource,
  type Synthesized,
  statementsOfRole,
  synthesize,
} from './synth.ts';

// The configuration `synthesize` builds the stack with.
const configPath = 'config/muon.yaml';
let synthesized: Synthesized;
let secretId: string;

beforeAll(() => {
  synthesized = synthesize({ configPath });
  secretId = logicalId(synthesized.stack, synthesized.stack.pilots.clientSecret);
}, 60_000);
afterAll(removeTemporaryDirectories);

/** The pilot job definition's container properties (there is one job definition). */
function containerProperties(): Record<string, unknown> {
  const jobDefinitions = Object.values(synthesized.template.findResources('AWS::Batch::JobDefinition'));
  expect(jobDefinitions).toHaveLength(1);
  return jobDefinitions[0]?.Properties.ContainerProperties;
}

/** What Batch reads a JSON key of the pilot client's secret from: `<secret ARN>:<key>::`. */
const secretKey = (key: string) => ({ 'Fn::Join': ['', [{ Ref: secretId }, `:${key}::`]] });

describe('MuonStack pilot client credentials', () => {
  it('creates the pilot client secret, named with the prefix, with a placeholder client, kept on delete', () => {
    synthesized.template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const secret = resource(synthesized.template, secretId);
    expect(secret.Type).toBe('AWS::SecretsManager::Secret');
    expect(secret.DeletionPolicy).toBe('Retain');
    expect(secret.UpdateReplacePolicy).toBe('Retain');
    expect(secret.Properties).toMatchObject({
      Name: physicalName(prefix, 'pilotCredentials'),
      GenerateSecretString: {
        SecretStringTemplate: JSON.stringify({ client_id: 'unset' }),
        GenerateStringKey: 'client_secret',
        ExcludePunctuation: true,
      },
    });
    expect(secret.Properties.Name).toBe(`${prefix}-pilot-credentials`);
    expect(secret.Properties.Description).toMatch(/client_id and client_secret of a GenericPilot client/);
  });

  it('hands the pilot its client id and secret from the secret’s JSON keys', () => {
    expect(containerProperties().Secrets).toEqual([
      { Name: 'MUON_CLIENT_ID', ValueFrom: secretKey('client_id') },
      { Name: 'MUON_CLIENT_SECRET', ValueFrom: secretKey('client_secret') },
    ]);
  });

  it('tells the pilot the configuration’s issuer', () => {
    const issuer = loadConfigFile(configPath).auth.issuer;
    expect(issuer).toMatch(/^https:\/\//);
    const environment = containerProperties().Environment as { Name: string; Value: unknown }[];
    expect(environment.filter((variable) => variable.Name === 'MUON_AUTH_ISSUER')).toEqual([
      { Name: 'MUON_AUTH_ISSUER', Value: issuer },
    ]);
    // Client credentials replace a static token: the job definition sets none.
    expect(environment.map((variable) => variable.Name)).not.toContain('MUON_TOKEN');
  });

  it('lets the execution role, and not the job role, read the secret', () => {
    const { stack, template } = synthesized;
    const executionRoleId = logicalId(stack, stack.pilots.jobDefinition.container.executionRole as never);
    expect(containerProperties().ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [executionRoleId, 'Arn'] });
    const reads = statementsOfRole(template, executionRoleId).filter(
      (statement) =>
        statement.Effect === 'Allow' && actionsOf(statement).includes('secretsmanager:GetSecretValue'),
    );
    expect(reads.map((statement) => statement.Resource)).toEqual([{ Ref: secretId }]);
    const jobRoleId = logicalId(stack, stack.pilots.jobRole);
    expect(JSON.stringify(statementsOfRole(template, jobRoleId))).not.toContain('secretsmanager');
  });

  it('outputs the secret’s ARN with what to put in it', () => {
    const outputs = synthesized.template.findOutputs('PilotClientSecretArn');
    expect(Object.keys(outputs)).toEqual(['PilotClientSecretArn']);
    expect(outputs.PilotClientSecretArn?.Value).toEqual({ Ref: secretId });
    expect(outputs.PilotClientSecretArn?.Description).toMatch(/client_id.*client_secret.*GenericPilot/);
  });
});
