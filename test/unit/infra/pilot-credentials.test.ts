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

describe('MuonStack pilot client credentials', () => {
  it('creates the pilot client secret, named with the prefix, with a placeholder client, kept on delete', () => {
    // The pilots' client and the payload-token key (infra/stack.ts).
    synthesized.template.resourceCountIs('AWS::SecretsManager::Secret', 2);
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

  it('hands the pilot the secret’s ARN only, never the client as container secrets (they become its environment)', () => {
    expect(containerProperties().Secrets).toBeUndefined();
    const environment = containerProperties().Environment as { Name: string; Value: unknown }[];
    expect(environment.filter((variable) => variable.Name === 'MUON_PILOT_CREDENTIALS_SECRET_ARN')).toEqual([
      { Name: 'MUON_PILOT_CREDENTIALS_SECRET_ARN', Value: { Ref: secretId } },
    ]);
    const names = environment.map((variable) => variable.Name);
    for (const name of ['MUON_TOKEN', 'MUON_CLIENT_ID', 'MUON_CLIENT_SECRET'])
      expect(names).not.toContain(name);
  });

  it('tells the pilot the configuration’s issuer', () => {
    const issuer = loadConfigFile(configPath).auth.issuer;
    expect(issuer).toMatch(/^https:\/\//);
    const environment = containerProperties().Environment as { Name: string; Value: unknown }[];
    expect(environment.filter((variable) => variable.Name === 'MUON_AUTH_ISSUER')).toEqual([
      { Name: 'MUON_AUTH_ISSUER', Value: issuer },
    ]);
  });

  it('lets the job role, and not the execution role, read the secret, with GetSecretValue only', () => {
    const { stack, template } = synthesized;
    const jobRoleId = logicalId(stack, stack.pilots.jobRole);
    const reads = statementsOfRole(template, jobRoleId).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('secretsmanager:')),
    );
    expect(reads).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: secretId } },
    ]);
    const executionRoleId = logicalId(stack, stack.pilots.jobDefinition.container.executionRole as never);
    expect(JSON.stringify(statementsOfRole(template, executionRoleId))).not.toContain('secretsmanager');
  });

  it('outputs the secret’s ARN with what to put in it', () => {
    const outputs = synthesized.template.findOutputs('PilotClientSecretArn');
    expect(Object.keys(outputs)).toEqual(['PilotClientSecretArn']);
    expect(outputs.PilotClientSecretArn?.Value).toEqual({ Ref: secretId });
    expect(outputs.PilotClientSecretArn?.Description).toMatch(/client_id.*client_secret.*GenericPilot/);
  });
});
