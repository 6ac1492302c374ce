/**
 * The embedded runtime: the whole WMS on one machine. It starts the emulators, creates the
 * resources of the shared definition, and runs the same handler modules the cloud runs behind an
 * API Gateway emulation, SQS event sources and schedules.
 */

import { createHandler as createAuthorizer } from '#functions/authorizer.ts';
import { startApiGateway } from '#local/api-gateway.ts';
import {
  createTokenAuthority,
  developmentVerifier,
  devIdentities,
  pilotTokenSeconds,
  type TokenAuthority,
  withLocalLogin,
} from '#local/dev-auth.ts';
import { startEmulatorProcesses } from '#local/emulator-child.ts';
import { type Emulators, emulatorCredentials, startEmulators } from '#local/emulators.ts';
import { type EventSource, startEventSource } from '#local/event-source.ts';
import type { LambdaHandler, LocalFunction } from '#local/invoke.ts';
import { type LocalOidcProvider, startOidcProvider } from '#local/oidc-provider.ts';
import { filePayloadKey } from '#local/payload-key.ts';
import {
  type LocalPilots,
  type LocalPilotsOptions,
  startLocalPilots,
  wakePilotsOnWaiting,
} from '#local/pilots.ts';
import { provisionResources, queueArn } from '#local/provision.ts';
import { type Scheduler, startScheduler } from '#local/scheduler.ts';
import { wakeOnWrite } from '#local/wake-on-write.ts';
import { createWebMonitor, localWebConfig } from '#local/web.ts';
import { createAwsClients } from '#shared/aws/clients.ts';
import {
  configObjectKey,
  createLiveConfig,
  type LiveConfig,
  mapLiveConfig,
  reloadingHandler,
  writeConfigObject,
} from '#shared/config/live.ts';
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
import { createScheduleHandler } from '#shared/schedule/handler.ts';

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
   * Run the SiteDirector over the Local computing elements, so waiting jobs bring up pilot
   * processes (`muon local` does; tests choose), with these test settings when an object. Off by
   * default: then the siteDirector schedule does nothing.
   */
  readonly pilots?: boolean | Pick<LocalPilotsOptions, 'idleStopSeconds' | 'stopWaitSeconds'>;
  /** The configuration file the pilots load (default: the configuration, written under `home`). */
  readonly configFile?: string;
  /**
   * Called when an emulator child died and could not be restarted with its data: the runtime
   * cannot serve any more and its owner should stop it (`muon local` exits non-zero).
   */
  readonly onEmulatorFailure?: (error: Error) => void;
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
  /** The OpenID provider `muon login` signs in with (local/oidc-provider.ts). */
  readonly oidc: LocalOidcProvider;
  readonly aws: AwsClients;
  readonly resources: ResourceNames;
  readonly endpoints: Emulators['endpoints'];
  readonly scheduler: Scheduler;
  /** Dependencies as a function with every grant would see them (tests and tools). */
  readonly deps: Deps;
  /** The local pilots and their site director, when the runtime runs them. */
  readonly pilots?: LocalPilots;
  /** Drains: stops taking requests and messages, finishes what is in flight, stops the emulators. */
  stop(): Promise<void>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const prefix = options.prefix ?? 'muon';
  const { logger, config } = options;
  // A restarted SQS emulator has lost its queues: they are made again, with the same URLs.
  let reprovision: () => Promise<void> = async () => undefined;
  const emulators = options.emulatorsInProcess
    ? await startEmulators({ dataDir: options.home, inMemory: options.inMemory ?? false })
    : await startEmulatorProcesses({
        dataDir: options.home,
        inMemory: options.inMemory ?? false,
        logger: logger.child({ component: 'emulators' }),
        onRestart: () => reprovision(),
        onFailure: (error) => options.onEmulatorFailure?.(error),
      });
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
    reprovision = async () => {
      await provisionResources(aws, prefix);
    };
    const payloadKey = filePayloadKey(`${options.home}/payload-token-key`);
    // People log in (`muon login`) at a real OpenID provider; development tokens stay for tests.
    const oidc = await startOidcProvider({
      config,
      home: options.home,
      logger: logger.child({ component: 'oidc' }),
    });
    stops.push(() => oidc.close());
    const deps: Deps = {
      config: withLocalLogin(config, oidc.issuer),
      logger,
      aws,
      resources,
      now: () => new Date(),
      payloadKey,
    };
    const authority = await createTokenAuthority(`${options.home}/dev-signing-key.json`, config);
    // The live configuration, as in the cloud: an S3 object the functions re-read when it changes
    // (`muon config push`), here checked every second.
    const configLocation = { bucket: resources.bucket as string, key: configObjectKey };
    await writeConfigObject(aws.s3, configLocation, config);
    const liveConfig = mapLiveConfig(
      createLiveConfig({ s3: aws.s3, location: configLocation, refreshMs: 1000 }),
      (current) => withLocalLogin(current, oidc.issuer),
    );

    // The site director's Lambda drives AwsBatch elements; here it drives the Local ones, once started.
    let localPilots: LocalPilots | undefined;
    const loaded = await loadFunctions(deps, liveConfig, {
      // The cloud's authorizer discovers the identity provider; here the development authority is it.
      authorizer: (functionDeps) =>
        createAuthorizer(functionDeps, developmentVerifier(authority, oidc, config)) as LambdaHandler,
      siteDirectorAgent: (functionDeps) =>
        createScheduleHandler(functionDeps.logger, 'siteDirector', async () =>
          localPilots ? await localPilots.run() : undefined,
        ) as LambdaHandler,
    });
    const identities = devIdentities(config);
    const tokens: DevTokens = {
      user: await authority.sign(identities.user),
      admin: await authority.sign(identities.admin),
      pilot: await authority.sign(identities.pilot, pilotTokenSeconds),
    };
    // Pilot tokens live hours: each new local pilot gets one signed within the last hour.
    let pilotToken = tokens.pilot;
    const renewPilotToken = setInterval(() => {
      authority.sign(identities.pilot, pilotTokenSeconds).then(
        (token) => {
          pilotToken = token;
        },
        (error) => logger.error('pilot token renewal failed', { error }),
      );
    }, 3_600_000);
    renewPilotToken.unref();
    stops.push(async () => clearInterval(renewPilotToken));

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

    const gateway = await startApiGateway({
      functions: loaded,
      logger,
      port: options.port,
      web: createWebMonitor({
        config: () => localWebConfig(oidc.issuer),
        logger: logger.child({ component: 'web' }),
      }),
    });
    stops.push(() => gateway.close());

    // Locally the site director drives the Local elements (the cloud's drives AwsBatch ones).
    const pilots = options.pilots
      ? startLocalPilots({
          deps: { ...deps, resources: grantedResources(functions.siteDirectorAgent, deps.resources) },
          ...(options.configFile ? { configFile: options.configFile } : {}),
          apiUrl: gateway.url,
          token: () => pilotToken,
          home: options.home,
          logger: logger.child({ function: 'siteDirectorAgent' }),
          ...(typeof options.pilots === 'object' ? options.pilots : {}),
        })
      : undefined;
    localPilots = pilots;
    const localEveryMs = config.agents.siteDirector.localEverySeconds * 1000;

    const scheduler = startScheduler(
      (Object.entries(schedules) as [string, ScheduleDefinition][]).map(([name, schedule]) => ({
        name,
        fn: loaded.find((f) => f.name === schedule.function) as LocalFunction,
        everyMs:
          options.scheduleEveryMs ??
          (name === 'siteDirector' && pilots ? localEveryMs : schedule.everySeconds * 1000),
      })),
      logger,
    );
    stops.push(() => scheduler.stop());
    wakeTransformationsOnFinalJobs(aws, resources, () => void scheduler.runNow('transformations'));
    if (pilots) {
      wakeSiteDirectorOnWaiting(aws, resources, () => void scheduler.runNow('siteDirector'));
      wakePilotsOnWaiting(aws, resources.tables.jobs, () => {
        pilots.wake().catch((error: unknown) => logger.warn('local pilots not woken', { error }));
      });
    }

    // Pilots stop first (stops run in reverse): their jobs report through the API until they end.
    if (pilots) stops.push(() => pilots.stop());

    return {
      apiUrl: gateway.url,
      tokens,
      authority,
      oidc,
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

type HandlerFactory = (deps: Deps) => LambdaHandler;

async function loadFunctions(
  deps: Deps,
  live: LiveConfig,
  overrides: Partial<Record<FunctionName, HandlerFactory>> = {},
): Promise<LocalFunction[]> {
  const entries = Object.entries(functions) as [FunctionName, FunctionDefinition][];
  return Promise.all(
    entries.map(async ([name, definition]) => {
      const create =
        overrides[name] ??
        (
          (await import(new URL(`../${definition.entry}`, import.meta.url).href)) as {
            createHandler: HandlerFactory;
          }
        ).createHandler;
      const { payloadKey, ...rest } = deps;
      const functionDeps: Deps = {
        ...rest,
        logger: deps.logger.child({ function: name }),
        resources: grantedResources(definition, deps.resources),
        // Only the functions that sign or verify payload tokens hold their key, as in the cloud.
        ...(definition.payloadKey && payloadKey ? { payloadKey } : {}),
      };
      const handler = reloadingHandler(
        live,
        (config) => create({ ...functionDeps, config }),
        create(functionDeps),
      );
      return { name, definition, handler };
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

/**
 * A job reaching a final status runs the transformation sweep soon, so that the task's files are
 * settled and new tasks made without waiting for its cycle (the cloud waits for the schedule).
 */
function wakeTransformationsOnFinalJobs(aws: AwsClients, resources: ResourceNames, wake: () => void): void {
  const table = resources.tables.jobs;
  const final = new Set(['Done', 'Failed', 'Killed', 'Deleted']);
  wakeOnWrite(aws, {
    name: 'muonWakeTransformations',
    delayMs: 300,
    matches: ({ commandName, input }) => {
      if (commandName !== 'UpdateCommand' || input.TableName !== table) return false;
      const to = (input.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[':to'];
      return typeof to === 'string' && final.has(to);
    },
    wake,
  });
}

/**
 * A job entering a task queue (an entry written to the taskQueues table) runs the site director
 * soon, so a local job does not wait for the next cycle to get a pilot.
 */
function wakeSiteDirectorOnWaiting(aws: AwsClients, resources: ResourceNames, wake: () => void): void {
  const table = resources.tables.taskQueues;
  wakeOnWrite(aws, {
    name: 'muonWakeSiteDirector',
    delayMs: 200,
    matches: ({ commandName, input }) => /^Put(Item)?Command$/.test(commandName) && input.TableName === table,
    wake,
  });
}
