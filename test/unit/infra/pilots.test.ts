import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { physicalName } from '#shared/resources.ts';
import {
  logicalId,
  prefix,
  removeTemporaryDirectories,
  resource,
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

  it('gives the pilot job role no permissions: a pilot talks only to the API', () => {
    const roleId = logicalId(synthesized.stack, synthesized.stack.pilots.jobRole);
    expect(statementsOfRole(synthesized.template, roleId)).toEqual([]);
    expect(resource(synthesized.template, roleId).Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('uses Fargate Spot and the capacity given', () => {
    const { template } = synthesize({ pilots: { spot: true, maxvCpus: 16 } });
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: { Type: 'FARGATE_SPOT', MaxvCpus: 16 },
    });
  });
});
