/**
 * The muon stack, generated from the resource definition (`shared/resources.ts` unless a test
 * injects another): tables, queues, the sandbox bucket, functions with their grants, the HTTP API,
 * agent schedules, and AWS Batch for pilots.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ConfigurationError } from '#shared/errors.ts';
import { stageConfig } from './config.ts';
import { grantPilotBatch } from './constructs/access.ts';
import { Api, type ApiGuards, defaultApiGuards } from './constructs/api.ts';
import { PilotBatch, type PilotSettings, pilotSettings } from './constructs/batch.ts';
import { SandboxBucket } from './constructs/bucket.ts';
import { LiveConfiguration } from './constructs/configuration.ts';
import { Functions } from './constructs/functions.ts';
import { CognitoIdentity, cognitoLoginPort } from './constructs/identity.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { suppress } from './constructs/nag.ts';
import { Queues } from './constructs/queues.ts';
import { Schedules } from './constructs/schedules.ts';
import { Tables } from './constructs/tables.ts';
import { WebMonitor } from './constructs/web.ts';
import { checkDefinition, type ResourceDefinition, resourceDefinition } from './definition.ts';

export interface MuonStackProps extends StackProps {
  /** Prefix of every physical name (`${prefix}-jobs`), so several deployments share an account. */
  readonly prefix: string;
  /** The configuration document, validated at synth and deployed as the live document. */
  readonly configPath: string;
  /**
   * `cognito` (`-c identity=cognito`): the stack brings a Cognito user pool and trusts it
   * (infra/constructs/identity.ts); absent: the configuration's `auth.issuer` is trusted.
   */
  readonly identity?: 'cognito';
  readonly definition?: ResourceDefinition;
  readonly pilots?: Partial<PilotSettings>;
  /** Where alarm notifications are e-mailed (`-c alarmEmail=...`); none: the SNS topic only. */
  readonly alarmEmail?: string;
  /** API throttling and CORS origins (`-c apiRateLimit=... -c apiBurstLimit=... -c corsOrigins=a,b`). */
  readonly apiGuards?: Partial<ApiGuards>;
}

const prefixPattern = /^[a-z][a-z0-9-]{0,23}$/;
/** The web monitor's public client at the identity provider (authorization code with PKCE). */
const webClientId = 'muon-web';

export class MuonStack extends Stack {
  readonly tables: Tables;
  readonly queues: Queues;
  readonly bucket: SandboxBucket;
  readonly functions: Functions;
  readonly api: Api;
  readonly schedules: Schedules;
  readonly pilots: PilotBatch;
  readonly configuration: LiveConfiguration;
  readonly web: WebMonitor;
  readonly monitoring: Monitoring;
  readonly identity: CognitoIdentity | undefined;

  constructor(scope: Construct, id: string, props: MuonStackProps) {
    if (!prefixPattern.test(props.prefix)) {
      throw new ConfigurationError(
        `The prefix "${props.prefix}" must be lower-case letters, digits and "-", starting with a letter, at most 24 characters.`,
      );
    }
    super(scope, id, props);
    const definition = props.definition ?? resourceDefinition;
    checkDefinition(definition);
    const staged = stageConfig(props.configPath);
    this.identity =
      props.identity === 'cognito'
        ? new CognitoIdentity(this, 'Identity', { prefix: props.prefix, config: staged })
        : undefined;
    // With Cognito the issuer, audience and login client are the pool's, known at deploy.
    const config = this.identity?.configure(staged) ?? staged;

    this.tables = new Tables(this, 'Tables', { prefix: props.prefix, tables: definition.tables });
    this.queues = new Queues(this, 'Queues', { prefix: props.prefix, queues: definition.queues });
    this.bucket = new SandboxBucket(this, 'Sandboxes', { bucket: definition.bucket });
    // The one live configuration every function and pilot reads (infra/constructs/configuration.ts).
    this.configuration = new LiveConfiguration(this, 'Configuration', {
      bucket: this.bucket.bucket,
      config,
    });
    // The key muon signs payload tokens with (shared/auth/payload-token.ts); only the matcher and
    // the authorizer read it.
    const payloadKey = new secretsmanager.Secret(this, 'PayloadTokenKey', {
      secretName: `${props.prefix}-payload-token-key`,
      description: 'HMAC key of muon payload tokens (one job each); rotate by replacing the value.',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    suppress(payloadKey, 'AwsSolutions-SMG4', [
      'Rotating the payload key invalidates the tokens of running jobs, so it is replaced by hand when',
      'no job runs or on suspicion (docs/operations.md), not on a schedule.',
    ]);
    this.functions = new Functions(this, 'Functions', {
      payloadKey,
      prefix: props.prefix,
      functions: definition.functions,
      tables: this.tables.byName,
      queues: this.queues.byName,
      bucket: this.bucket.bucket,
      scheduled: new Set(Object.values(definition.schedules).map((schedule) => schedule.function)),
    });
    for (const fn of Object.values(this.functions.byName)) this.configuration.grantRead(fn);
    if (this.identity) this.configuration.grantRead(this.identity.trigger);
    this.api = new Api(this, 'Api', {
      prefix: props.prefix,
      functions: definition.functions,
      handlers: this.functions.byName,
      guards: { ...defaultApiGuards, ...props.apiGuards },
    });
    this.schedules = new Schedules(this, 'Schedules', {
      schedules: definition.schedules,
      handlers: this.functions.byName,
    });
    this.pilots = new PilotBatch(this, 'Pilots', {
      ...pilotSettings(props.pilots),
      prefix: props.prefix,
      apiUrl: this.api.url,
      authIssuer: config.auth.issuer,
    });

    for (const [name, fn] of Object.entries(definition.functions)) {
      const handler = this.functions.byName[name];
      if (fn.pilotBatch && handler) grantPilotBatch(handler, this.pilots, this.api.url);
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      prefix: props.prefix,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
      definition,
      functions: this.functions.byName,
      queues: this.queues.byName,
      deadLetters: this.queues.deadLetters,
      tables: this.tables.byName,
      api: this.api.httpApi,
      pilotQueue: this.pilots.jobQueue,
    });

    // The web monitor: its pages from S3 and the API under /api/, on one CloudFront distribution.
    this.web = new WebMonitor(this, 'Web', {
      prefix: props.prefix,
      api: this.api.httpApi,
      login: {
        issuer: config.auth.issuer,
        clientId: this.identity?.webClient.userPoolClientId ?? webClientId,
        scope: 'openid profile',
      },
    });
    this.identity?.setWebUrl(this.web.url);

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the muon HTTP API.', value: this.api.url });
    new CfnOutput(this, 'WebUrl', {
      description: `The web monitor (register it at the identity provider as the public client ${webClientId}, redirect URI <WebUrl>/).`,
      value: this.web.url,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic every alarm notifies (subscribe more endpoints to it).',
      value: this.monitoring.topic.topicArn,
    });
    new CfnOutput(this, 'PilotJobQueueArn', {
      description: 'AWS Batch job queue that pilots are submitted to.',
      value: this.pilots.jobQueue.jobQueueArn,
    });
    new CfnOutput(this, 'PilotJobDefinitionArn', {
      description: 'AWS Batch job definition of a pilot.',
      value: this.pilots.jobDefinition.jobDefinitionArn,
    });
    if (this.identity) {
      new CfnOutput(this, 'CognitoIssuer', {
        description: 'The Cognito user pool the API trusts (auth.issuer of the deployed configuration).',
        value: this.identity.issuer,
      });
      new CfnOutput(this, 'CognitoUserPoolId', {
        description: 'The user pool: add users and put them in <vo>:<group> groups (docs/deploy.md).',
        value: this.identity.userPool.userPoolId,
      });
      new CfnOutput(this, 'CognitoPilotClientId', {
        description:
          "The pilots' client (client credentials): its id and secret go into PilotClientSecretArn.",
        value: this.identity.pilotClient.userPoolClientId,
      });
      new CfnOutput(this, 'CognitoWebClientId', {
        description: "The web monitor's client (in auth.audience of the deployed configuration).",
        value: this.identity.webClient.userPoolClientId,
      });
      new CfnOutput(this, 'CognitoCliClientId', {
        description: `The CLI's public client (auth.audience and auth.login.clientId); muon login --flow pkce --port ${cognitoLoginPort}.`,
        value: this.identity.cliClient.userPoolClientId,
      });
    }
    new CfnOutput(this, 'PilotClientSecretArn', {
      description:
        "Secrets Manager secret of the pilots' OAuth2 client: put the identity provider's client_id and " +
        'client_secret of a GenericPilot client in it, as JSON {"client_id": "...", "client_secret": "..."}.',
      value: this.pilots.clientSecret.secretArn,
    });
  }
}
