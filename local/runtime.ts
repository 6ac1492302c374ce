/**
 * The embedded runtime: the whole WMS on one machine. It starts the emulators, creates the
 * resources of the shared definition, and runs the same handler modules the cloud runs behind an
 * API Gateway emulation, SQS event sources and schedules.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startApiGateway } from '#local/api-gateway.ts';
import { createTokenAuthority, devIdentities, type TokenAuthority } from '#local/dev-auth.ts';
import { startEmulatorProcesses } from '#local/emulator-child.ts';
import { type Emulators, emulatorCredentials, startEmulators } from '#local/emulators.ts';
import { type EventSource, startEventSource } from '#local/event-source.ts';
import type { LambdaHandler, LocalFunction } from '#local/invoke.ts';
import { type LocalPilots, type LocalPilotsOptions, startLocalPilots } from '#local/pilots.ts';
import { provisionResources } from '#local/provision.ts';
import { type Scheduler, startScheduler } from '#local/scheduler.ts';
import { createAwsClients } from '#shared/aws/clients.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { AwsClients, Deps, ResourceNames } from '#shared/deps.ts';
import type { Logger } from '#shared/log.ts';
import {
  type FunctionDefinition,
  type FunctionName,
  functions,
  type ScheduleDefinition,
  schedules,
} from '#shared/resources.ts';

export interface LocalRuntimeOptions {
  readonly config: MuonConfig;
  /** Where data, keys and local.json live. */
  readonly home: string;
  readonly logger: Logger;
  /** 0 picks a free port. */
  readonly port: number;
  readonly prefix?: string;
  /** Run the emulators in this process (tests) instead of a child process (the default). */
  readonly emulatorsInProcess?: boolean;
  /** Keep DynamoDB in memory: faster, nothing survives a restart. */
  readonly inMemory?: boolean;
  /** Shorter visibility timeouts for tests, so retries and redrive happen in seconds. */
  readonly visibilityTimeoutSeconds?: number;
  /** Run agents every N ms instead of their schedule (tests). */
  readonly scheduleEveryMs?: number;
  /**
   * Start one pilot per Local computing element (`muon local` does; tests choose), with these
   * test settings when an object. Off by default.
   */
  readonly pilots?: boolean | Pick<LocalPilotsOptions, 'idleStopSeconds' | 'restartSeconds' | 'startWrapper'>;
  /** Directory of the configuration file (pilot hook paths are relative to it). */
  readonly configDir?: string;
}

export interface DevTokens {
  readonly user: string;
  readonly admin: string;
  readonly pilot: string;
}

export interface LocalRuntime {
  readonly apiUrl: string;
  readonly tokens: DevTokens;
  readonly authority: TokenAuthority;
  readonly aws: AwsClients;
  readonly resources: ResourceNames;
  readonly endpoints: Emulators['endpoints'];
  readonly scheduler: Scheduler;
  /** Dependencies as a function with every grant would see them (tests and tools). */
  readonly deps: Deps;
  /** The local pilots, when the runtime starts them. */
  readonly pilots?: LocalPilots;
  /** Drains: stops taking requests and messages, finishes what is in flight, stops the emulators. */
  stop(): Promise<void>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const prefix = options.prefix ?? 'muon';
  const { logger, config } = options;
  const emulators = options.emulatorsInProcess
    ? await startEmulators({ dataDir: options.home, inMemory: options.inMemory ?? false })
    : await startEmulatorProcesses({ dataDir: options.home, inMemory: options.inMemory ?? false });
  const stops: (() => Promise<void>)[] = [() => emulators.close()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => logger.error('stop failed', { error }));
  };
  try {
    const eventSources = new Map<string, EventSource>();
    const aws = createAwsClients({
      endpoints: emulators.endpoints,
      credentials: emulatorCredentials,
      maxAttempts: 3,
    });
    wakePollersOnSend(aws, eventSources);
    const resources = await provisionResources(aws, prefix);
    const deps: Deps = { config, logger, aws, resources, now: () => new Date() };

    const loaded = await loadFunctions(deps);
    const authority = await createTokenAuthority(`${options.home}/dev-signing-key.json`, config);
    const identities = devIdentities(config);
    const tokens: DevTokens = {
      user: await authority.sign(identities.user),
      admin: await authority.sign(identities.admin),
      pilot: await authority.sign(identities.pilot),
    };

    for (const fn of loaded) {
      const consumes = fn.definition.consumes;
      if (!consumes) continue;
      const queueUrl = resources.queues[consumes.queue] as string;
      const source = startEventSource({
        sqs: aws.sqs,
        queueUrl,
        queueArn: await queueArn(aws, queueUrl),
        fn,
        batchSize: consumes.batchSize,
        maxConcurrency: consumes.maxConcurrency,
        ...(options.visibilityTimeoutSeconds !== undefined
          ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds }
          : {}),
        logger: logger.child({ eventSource: consumes.queue }),
      });
      eventSources.set(queueUrl, source);
      stops.push(() => source.stop());
    }

    const scheduler = startScheduler(
      (Object.entries(schedules) as [string, ScheduleDefinition][]).map(([name, schedule]) => ({
        name,
        fn: loaded.find((f) => f.name === schedule.function) as LocalFunction,
        everyMs: options.scheduleEveryMs ?? schedule.everySeconds * 1000,
      })),
      logger,
    );
    stops.push(() => scheduler.stop());

    const gateway = await startApiGateway({ functions: loaded, authority, logger, port: options.port });
    stops.push(() => gateway.close());

    // Pilots stop first (stops run in reverse): their jobs report through the API until they end.
    const pilots = options.pilots
      ? startLocalPilots({
          config,
          configDir: options.configDir ?? process.cwd(),
          apiUrl: gateway.url,
          token: tokens.pilot,
          home: options.home,
          logger: logger.child({ component: 'pilots' }),
          ...(typeof options.pilots === 'object' ? options.pilots : {}),
        })
      : undefined;
    if (pilots) stops.push(() => pilots.stop());

    return {
      apiUrl: gateway.url,
      tokens,
      authority,
      aws,
      resources,
      endpoints: emulators.endpoints,
      scheduler,
      deps,
      ...(pilots ? { pilots } : {}),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Each function sees only the resources its definition grants, as its IAM role would allow. */
export function grantedResources(definition: FunctionDefinition, all: ResourceNames): ResourceNames {
  const pick = <K extends string>(names: Partial<Record<K, string>>, wanted: object) =>
    Object.fromEntries(Object.keys(wanted).map((k) => [k, names[k as K]])) as Partial<Record<K, string>>;
  return {
    tables: pick(all.tables, definition.tables),
    queues: pick(all.queues, definition.queues),
    ...(definition.bucket && all.bucket ? { bucket: all.bucket } : {}),
  };
}

async function loadFunctions(deps: Deps): Promise<LocalFunction[]> {
  const entries = Object.entries(functions) as [FunctionName, FunctionDefinition][];
  return Promise.all(
    entries.map(async ([name, definition]) => {
      const module = (await import(new URL(`../${definition.entry}`, import.meta.url).href)) as {
        createHandler: (deps: Deps) => LambdaHandler;
      };
      const functionDeps: Deps = {
        ...deps,
        logger: deps.logger.child({ function: name }),
        resources: grantedResources(definition, deps.resources),
      };
      return { name, definition, handler: module.createHandler(functionDeps) };
    }),
  );
}

function wakePollersOnSend(aws: AwsClients, eventSources: Map<string, EventSource>): void {
  aws.sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'SendMessageCommand' || context.commandName === 'SendMessageBatchCommand') {
        const queueUrl = (args.input as { QueueUrl?: string }).QueueUrl;
        if (queueUrl) eventSources.get(queueUrl)?.wake();
      }
      return result;
    },
    { step: 'initialize', name: 'muonWakeLocalPollers' },
  );
}

async function queueArn(aws: AwsClients, queueUrl: string): Promise<string> {
  const { Attributes } = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn ?? queueUrl;
}
