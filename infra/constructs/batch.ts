/**
 * AWS Batch for pilots: Fargate capacity in a public-subnet VPC (no NAT to pay for), a job queue,
 * and a job definition running the pilot image built from pilot/Dockerfile. A pilot reaches muon
 * through the HTTPS API; its job role grants one thing only, reading its credentials.
 *
 * A pilot authenticates with OAuth2 client credentials rather than a bearer token that expires
 * under it: the Secrets Manager secret `${prefix}-pilot-credentials` (`clientSecret`, the stack
 * output `PilotClientSecretArn`) holds the identity provider's `client_id` and `client_secret` of a
 * GenericPilot client, which the operator puts there after the first deployment. The job definition
 * gives the pilot only the secret's ARN (`MUON_PILOT_CREDENTIALS_SECRET_ARN`), beside
 * `MUON_AUTH_ISSUER`, where it discovers the token endpoint; the pilot reads the secret itself with
 * its job role (pilot/credentials-secret.ts). Batch's container `secrets` are not used: they become
 * environment variables, which every payload could read in /proc/1/environ.
 */
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { physicalName } from '#shared/resources.ts';
import { repoRoot } from '../paths.ts';
import { suppress } from './nag.ts';

export interface PilotSettings {
  /** Most vCPUs the compute environment runs at once, across all pilots. */
  readonly maxvCpus: number;
  /** Run pilots on Fargate Spot: cheaper, and a reclaimed pilot is simply replaced. */
  readonly spot: boolean;
  readonly vcpus: number;
  readonly memoryMiB: number;
  /** Batch stops a pilot that runs longer than this. */
  readonly timeoutHours: number;
}

/** The settings given, the defaults for the rest (a setting given as `undefined` is not given). */
export const pilotSettings = (given: Partial<PilotSettings> = {}): PilotSettings => ({
  maxvCpus: given.maxvCpus ?? 256,
  spot: given.spot ?? false,
  vcpus: given.vcpus ?? 2,
  memoryMiB: given.memoryMiB ?? 4096,
  timeoutHours: given.timeoutHours ?? 24,
});

export interface PilotBatchProps extends PilotSettings {
  readonly prefix: string;
  readonly apiUrl: string;
  /** The identity provider (the configuration's `auth.issuer`) that pilots get their tokens from. */
  readonly authIssuer: string;
}

export class PilotBatch extends Construct {
  readonly computeEnvironment: batch.FargateComputeEnvironment;
  readonly jobQueue: batch.JobQueue;
  readonly jobDefinition: batch.EcsJobDefinition;
  readonly jobRole: iam.Role;
  /** The job definition's name, known at synth (a grant covers all its revisions). */
  readonly jobDefinitionName: string;
  /** The pilots' OAuth2 client: JSON `{"client_id": …, "client_secret": …}`, filled in by the operator. */
  readonly clientSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: PilotBatchProps) {
    super(scope, id);
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
    });
    this.computeEnvironment = new batch.FargateComputeEnvironment(this, 'ComputeEnvironment', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      maxvCpus: props.maxvCpus,
      spot: props.spot,
    });
    this.jobQueue = new batch.JobQueue(this, 'JobQueue', {
      jobQueueName: physicalName(props.prefix, 'pilots'),
      priority: 1,
      computeEnvironments: [{ computeEnvironment: this.computeEnvironment, order: 1 }],
    });
    this.jobRole = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description:
        'Pilots: read the pilot credentials secret, nothing else; a pilot talks to the muon HTTPS API.',
    });
    this.clientSecret = new secretsmanager.Secret(this, 'ClientSecret', {
      // Not `-client`: a name ending in a hyphen and six characters reads as a secret ARN's suffix.
      secretName: physicalName(props.prefix, 'pilotCredentials'),
      description:
        "muon pilots: put here the identity provider's client_id and client_secret of a GenericPilot " +
        'client, as JSON {"client_id": "...", "client_secret": "..."}. Pilots get their tokens with them ' +
        '(OAuth2 client credentials).',
      // A placeholder until the operator puts the identity provider's client here.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ client_id: 'unset' }),
        generateStringKey: 'client_secret',
        excludePunctuation: true,
      },
      // Kept on delete, as the tables and the sandbox bucket: the operator's credentials outlive
      // any one deployment of the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // GetSecretValue only (not grantRead's DescribeSecret too), with the variable that names it below.
    this.jobRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.clientSecret.secretArn],
      }),
    );
    const container = new batch.EcsFargateContainerDefinition(this, 'Pilot', {
      // Payloads are built for x86_64 (Fargate Spot has no ARM capacity either), so build for it
      // whatever machine runs the deployment.
      image: ecs.ContainerImage.fromAsset(repoRoot, {
        file: 'pilot/Dockerfile',
        platform: Platform.LINUX_AMD64,
      }),
      fargateCpuArchitecture: ecs.CpuArchitecture.X86_64,
      fargateOperatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      cpu: props.vcpus,
      memory: Size.mebibytes(props.memoryMiB),
      command: ['pilot'],
      environment: {
        MUON_API_URL: props.apiUrl,
        // The pilot stops taking jobs in time to finish them before Batch's timeout ends it.
        MUON_PILOT_WALLCLOCK_SECONDS: String(props.timeoutHours * 3600),
        MUON_AUTH_ISSUER: props.authIssuer,
        // The live configuration from GET /api/config, never the image's copy (pilot/live-config.ts).
        MUON_CONFIG: 'api',
        // Where the pilot reads its client; the client itself never is in the environment.
        MUON_PILOT_CREDENTIALS_SECRET_ARN: this.clientSecret.secretArn,
      },
      jobRole: this.jobRole,
      // Public subnets without NAT: the task needs a public address to pull its image and reach the API.
      assignPublicIp: true,
      // An init process forwards SIGTERM to the pilot (so it drains) and reaps its payloads' children.
      linuxParameters: new batch.LinuxParameters(this, 'LinuxParameters', { initProcessEnabled: true }),
    });
    this.jobDefinitionName = physicalName(props.prefix, 'pilot');
    this.jobDefinition = new batch.EcsJobDefinition(this, 'JobDefinition', {
      jobDefinitionName: this.jobDefinitionName,
      container,
      // A failed pilot is not retried: the site director submits fresh pilots while work waits.
      retryAttempts: 1,
      timeout: Duration.hours(props.timeoutHours),
    });
    suppress(vpc, 'AwsSolutions-VPC7', [
      'The VPC holds only pilot tasks, whose one peer is the muon API over HTTPS (logged as API access',
      'logs); flow logs would record the same connections again at a cost per pilot.',
    ]);
    suppress(this.clientSecret, 'AwsSolutions-SMG4', [
      "The secret holds the identity provider's client credentials, rotated at the identity provider;",
      'the operator puts the new pair here (docs/deploy.md).',
    ]);
    suppress(
      container,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/batch/job:*]',
      ["AWS Batch writes every job's log streams under its fixed /aws/batch/job log group."],
    );
    suppress(container, 'AwsSolutions-IAM5[Resource::*]', [
      "The execution role pulls the pilot image: ECR's GetAuthorizationToken takes no resource.",
    ]);
  }
}
