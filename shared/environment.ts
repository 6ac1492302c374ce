/**
 * Building a function's dependencies from its environment variables, which CDK sets when it grants
 * the function a resource (see infra/) and the local runtime sets the same way.
 */
import { secretsManagerPayloadKey } from '#shared/auth/payload-key.ts';
import { createAwsClients, type Endpoints } from '#shared/aws/clients.ts';
import {
  createLiveConfig,
  type LiveConfig,
  parseConfigLocation,
  reloadingHandler,
} from '#shared/config/live.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { AwsClients, Deps, ResourceNames } from '#shared/deps.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { lambdaObservability } from '#shared/lambda-observability.ts';
import { createLogger, parseLogLevel } from '#shared/log.ts';
import { environmentNames, type QueueName, queues, type TableName, tables } from '#shared/resources.ts';

type Env = Readonly<Record<string, string | undefined>>;

export function resourceNamesFromEnvironment(env: Env): ResourceNames {
  const tableNames: Partial<Record<TableName, string>> = {};
  for (const table of Object.keys(tables) as TableName[]) {
    const value = env[environmentNames.table(table)];
    if (value) tableNames[table] = value;
  }
  const queueUrls: Partial<Record<QueueName, string>> = {};
  for (const queue of Object.keys(queues) as QueueName[]) {
    const value = env[environmentNames.queue(queue)];
    if (value) queueUrls[queue] = value;
  }
  const bucket = env[environmentNames.bucket];
  return { tables: tableNames, queues: queueUrls, ...(bucket ? { bucket } : {}) };
}

/** The AWS clients, pointed at emulators when MUON_ENDPOINT_* name them. */
function awsClientsFromEnvironment(env: Env): AwsClients {
  const endpoints: Endpoints | undefined = env.MUON_ENDPOINT_DYNAMODB
    ? {
        dynamodb: env.MUON_ENDPOINT_DYNAMODB,
        sqs: env.MUON_ENDPOINT_SQS ?? '',
        s3: env.MUON_ENDPOINT_S3 ?? '',
      }
    : undefined;
  return createAwsClients(endpoints ? { endpoints } : {});
}

/**
 * The dependencies, with `config` when given (the live configuration), else the file MUON_CONFIG
 * names; with `aws` when given, else clients of their own.
 */
export function depsFromEnvironment(env: Env, config?: MuonConfig, aws?: AwsClients): Deps {
  const configPath = env[environmentNames.config];
  if (!configPath)
    throw new ConfigurationError(`${environmentNames.config} is not set: it names the configuration file.`);
  return {
    config: config ?? loadConfigFile(configPath),
    logger: createLogger({
      level: parseLogLevel(env.MUON_LOG_LEVEL),
      ...(env.POWERTOOLS_SERVICE_NAME ? { service: env.POWERTOOLS_SERVICE_NAME } : {}),
    }),
    aws: aws ?? awsClientsFromEnvironment(env),
    resources: resourceNamesFromEnvironment(env),
    now: () => new Date(),
    ...(env[environmentNames.payloadKey]
      ? { payloadKey: secretsManagerPayloadKey(env[environmentNames.payloadKey] as string) }
      : {}),
  };
}

/**
 * A Lambda entry point: builds the dependencies from `process.env` on the first invocation and
 * reuses them while the execution environment lives. Each invocation runs with the Lambda context
 * in its log lines, its metrics written at its end, and an X-Ray subsegment (lambda-observability.ts).
 */
export function lambdaEntry<E, C, R>(create: (deps: Deps) => (event: E, context: C) => Promise<R>) {
  // One set of AWS clients per execution environment: the live configuration's checks and every
  // handler rebuilt after a change share their connections.
  let aws: AwsClients | undefined;
  const clients = () => {
    aws ??= awsClientsFromEnvironment(process.env);
    return aws;
  };
  const build = (config?: MuonConfig) => {
    const deps = depsFromEnvironment(process.env, config, clients());
    const handler = create(deps);
    const invoke = lambdaObservability(deps, process.env);
    return (event: E, context: C) => invoke(context, () => handler(event, context));
  };
  // MUON_CONFIG `s3://bucket/key`: the live configuration (shared/config/live.ts), read at cold
  // start and checked once a minute; a new document rebuilds the handler as a cold start would.
  const live = liveConfigOf(process.env, clients);
  if (live) return reloadingHandler(live, build);
  let built: ((event: E, context: C) => Promise<R>) | undefined;
  return (event: E, context: C): Promise<R> => {
    built ??= build();
    return built(event, context);
  };
}

function liveConfigOf(env: Env, clients: () => AwsClients): LiveConfig | undefined {
  const location = parseConfigLocation(env[environmentNames.config]);
  if (!location) return undefined;
  return createLiveConfig({ s3: clients().s3, location, refreshMs: 60_000 });
}
