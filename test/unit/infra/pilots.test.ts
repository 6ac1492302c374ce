import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchEnvironmentNames } from '#shared/ce/index.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import { type FunctionDefinition, functions, physicalName } from '#shared/resources.ts';
import {
  actionsOf,
  idsOf,
  logicalId,
  prefix,
  removeTemporaryDirectories,
  resource,
  roleOfFunction,
  type Synthesized,
  statementsOfRole,
  synthesize,
} from './synth.ts';

let synthesized: Synthesized;

beforeAll(() => {
  synthesized = synthesize();
}, 60_000);
afterAll(removeTemporaryDirectories);

describe('MuonStack pilots on AWS Batch', () => {
  it('runs pilots on Fargate in public subnets, without NAT', () => {
    synthesized.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    const subnets = Object.values(synthesized.template.findResources('AWS::EC2::Subnet'));
    expect(subnets).toHaveLength(2);
    for (const subnet of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(true);
    synthesized.template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      Type: 'managed',
      ComputeResources: { Type: 'FARGATE', MaxvCpus: 256 },
    });
    synthesized.template.hasResourceProperties('AWS::Batch::JobQueue', {
      JobQueueName: physicalName(prefix, 'pilots'),
      ComputeEnvironmentOrder: [
        {
          ComputeEnvironment: {
            'Fn::GetAtt': [
              logicalId(synthesized.stack, synthesized.stack.pilots.computeEnvironment),
              'ComputeEnvironmentArn',
            ],
          },
          Order: 1,
        },
      ],
    });
  });

  it('defines a pilot job that is not retried and is told the API URL', () => {
    const { stack, template } = synthesized;
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      Type: 'container',
      PlatformCapabilities: ['FARGATE'],
      RetryStrategy: { Attempts: 1 },
      Timeout: { AttemptDurationSeconds: 24 * 3600 },
      ContainerProperties: {
        Command: ['pilot'],
        Environment: [
          {
            Name: 'MUON_API_URL',
            Value: { 'Fn::GetAtt': [logicalId(stack, stack.api.httpApi), 'ApiEndpoint'] },
          },
          // Batch ends the pilot at the job definition's timeout (24 h): it stops taking jobs in time.
          { Name: 'MUON_PILOT_WALLCLOCK_SECONDS', Value: String(24 * 3600) },
          // Where the pilot gets its tokens (see pilot-credentials.test.ts).
          { Name: 'MUON_AUTH_ISSUER', Value: loadConfigFile('config/muon.yaml').auth.issuer },
          // The live configuration from GET /api/config (configuration.test.ts).
          { Name: 'MUON_CONFIG', Value: 'api' },
          {
            Name: 'MUON_PILOT_CREDENTIALS_SECRET_ARN',
            Value: { Ref: logicalId(stack, stack.pilots.clientSecret) },
          },
        ],
        NetworkConfiguration: { AssignPublicIp: 'ENABLED' },
        RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
        JobRoleArn: { 'Fn::GetAtt': [logicalId(stack, stack.pilots.jobRole), 'Arn'] },
      },
    });
  });

  it('sizes a pilot at 2 vCPUs and 4 GiB', () => {
    const [jobDefinition] = Object.values(synthesized.template.findResources('AWS::Batch::JobDefinition'));
    expect(jobDefinition?.Properties.ContainerProperties.ResourceRequirements).toEqual(
      expect.arrayContaining([
        { Type: 'VCPU', Value: '2' },
        { Type: 'MEMORY', Value: '4096' },
      ]),
    );
  });

  it('lets the pilot job role read its credentials secret and nothing else: a pilot talks to the API', () => {
    const { stack, template } = synthesized;
    const roleId = logicalId(stack, stack.pilots.jobRole);
    expect(statementsOfRole(template, roleId)).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: logicalId(stack, stack.pilots.clientSecret) },
      },
    ]);
    expect(resource(template, roleId).Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('uses Fargate Spot and the capacity given', () => {
    const { template } = synthesize({ pilots: { spot: true, maxvCpus: 16 } });
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: { Type: 'FARGATE_SPOT', MaxvCpus: 16 },
    });
  });
});

describe('MuonStack site director', () => {
  const directors = (Object.entries(functions) as [string, FunctionDefinition][]).filter(
    ([, fn]) => fn.pilotBatch,
  );
  const { functionId } = idsOf(() => synthesized);

  it('is the one function that drives the pilot queue', () => {
    expect(directors.map(([name]) => name)).toEqual(['siteDirectorAgent']);
  });

  it('may submit to the pilot queue from the pilot job definition, and nothing else of Batch', () => {
    const { stack, template } = synthesized;
    for (const [name] of directors) {
      const statements = statementsOfRole(template, roleOfFunction(template, functionId(name)));
      const batch = statements.filter((statement) =>
        actionsOf(statement).some((a) => a.startsWith('batch:')),
      );
      expect(batch.flatMap(actionsOf).sort()).toEqual([
        'batch:DescribeJobs',
        'batch:ListJobs',
        'batch:SubmitJob',
        'batch:TerminateJob',
      ]);
      const submit = batch.find((statement) => actionsOf(statement).includes('batch:SubmitJob'));
      const resources = JSON.stringify(submit?.Resource);
      expect(resources).toContain(logicalId(stack, stack.pilots.jobQueue));
      expect(resources).toContain(`job-definition/${physicalName(prefix, 'pilot')}:*`);
      const terminate = batch.find((statement) => actionsOf(statement).includes('batch:TerminateJob'));
      expect(JSON.stringify(terminate?.Resource)).toContain(':job/*');
    }
  });

  it('is told the pilot queue, the job definition and the API the pilots use', () => {
    const { stack, template } = synthesized;
    for (const [name] of directors) {
      const variables = (
        resource(template, functionId(name)).Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;
      expect(variables[batchEnvironmentNames.jobQueue]).toEqual({
        'Fn::GetAtt': [logicalId(stack, stack.pilots.jobQueue), 'JobQueueArn'],
      });
      expect(variables[batchEnvironmentNames.jobDefinition]).toEqual({
        Ref: logicalId(stack, stack.pilots.jobDefinition),
      });
      expect(variables.MUON_API_URL).toEqual({
        'Fn::GetAtt': [logicalId(stack, stack.api.httpApi), 'ApiEndpoint'],
      });
    }
  });

  it('runs every 2 minutes, as DIRAC’s SiteDirector', () => {
    const rules = Object.values(synthesized.template.findResources('AWS::Events::Rule')).map(
      (rule) => rule.Properties.ScheduleExpression,
    );
    expect(rules).toContain('rate(2 minutes)');
  });
});
