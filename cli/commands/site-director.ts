/**
 * `muon site-director`: the SiteDirector (shared/agents/site-director.ts) on a site's edge node,
 * for the Slurm elements Lambda cannot reach. It drives every Slurm element of the configuration,
 * or the Slurm and Local elements named with `--ce`, once (`--once`) or every `--every` seconds.
 * The first SIGTERM or SIGINT stops the loop after the current cycle; a second one exits at once.
 *
 * It reads task queues and writes pilot records in DynamoDB itself, as the Lambda does: with AWS
 * credentials and MUON_TABLE_PILOTS / MUON_TABLE_TASK_QUEUES, or in the local runtime's emulators
 * as `$MUON_HOME/local.json` names them. An API route for these reads and writes would spare the
 * edge node table credentials (docs/agents.md, SiteDirector).
 *
 * Pilots get their credentials in a one-shot 0600 file that their element writes in a 0700
 * directory under its work directory (a Slurm element's must be on a file system the worker nodes
 * see), never in the batch script or their environment (docs/pilots.md, "Credentials").
 */
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { CliError, USAGE, usageErrors } from '#cli/errors.ts';
import { emulatorCredentials } from '#local/emulators.ts';
import { type LocalFile, readLocalFile, resolveHome } from '#local/home.ts';
import { readCredentialsFile } from '#pilot/credentials.ts';
import { clientCredentialsFromEnvironment } from '#pilot/token.ts';
import {
  createSiteDirector,
  localPilotArguments,
  pilotArguments,
  pilotTokenVariable,
} from '#shared/agents/site-director.ts';
import { createAwsClients } from '#shared/aws/clients.ts';
import type { PilotCredentials } from '#shared/ce/credentials.ts';
import { type ComputingElement, createComputingElement } from '#shared/ce/index.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { AwsClients } from '#shared/deps.ts';
import { resourceNamesFromEnvironment } from '#shared/environment.ts';
import { createLogger, type Logger, parseLogLevel } from '#shared/log.ts';
import { environmentNames, schedules } from '#shared/resources.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface SiteDirectorOptions {
  /** The configuration file; the pilots load it from the same path. */
  readonly config: string;
  /** `SITE/CE` of the elements to drive; default every Slurm element. */
  readonly ces?: readonly string[];
  /** Seconds between two cycles; default the siteDirector schedule's. */
  readonly every?: number;
  readonly once?: boolean;
  readonly apiUrl?: string;
  readonly pilotToken?: string;
  /** A 0600 JSON file of the pilots' credentials (pilot/credentials.ts), kept: the host's own. */
  readonly pilotCredentialsFile?: string;
}

export interface SiteDirectorContext {
  readonly env?: Env;
  /** Aborting stops the loop after the current cycle. */
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
}

/**
 * What pilots authenticate with: `--pilot-credentials FILE`; `--pilot-token` or MUON_PILOT_TOKEN;
 * else this host's OAuth2 client (MUON_CLIENT_ID, ...: pilot/token.ts); else the local runtime's
 * pilot token. Their elements hand it to them in a credentials file. A token in this command's
 * argv is readable by every process of the host (`/proc/<pid>/cmdline`), hence the warning.
 */
async function pilotCredentials(
  options: SiteDirectorOptions,
  env: Env,
  local: LocalFile | undefined,
): Promise<PilotCredentials> {
  // The host's own file, kept: readable by its owner only, as a launcher's hand-over is.
  if (options.pilotCredentialsFile) return readCredentialsFile(options.pilotCredentialsFile, { keep: true });
  if (options.pilotToken) {
    console.error(
      'muon site-director: warning: --pilot-token is visible to every process of this host (/proc/<pid>/cmdline); use --pilot-credentials FILE.',
    );
  }
  const token = options.pilotToken ?? env[pilotTokenVariable];
  if (token) return { token };
  const client = clientCredentialsFromEnvironment(env);
  if (client) return { ...client };
  if (local?.tokens.pilot) return { token: local.tokens.pilot };
  throw new CliError(
    `Pilots need a token of a GenericPilot group: pass --pilot-token, set ${pilotTokenVariable}, or set MUON_CLIENT_ID and MUON_CLIENT_SECRET.`,
  );
}

const drivable = new Set(['Slurm', 'Local']);

/** Runs the site director until `--once` is done or the signal aborts; returns the exit code. */
export async function runSiteDirector(
  options: SiteDirectorOptions,
  context: SiteDirectorContext = {},
): Promise<number> {
  const env = context.env ?? process.env;
  const logger =
    context.logger ??
    createLogger({
      level: parseLogLevel(env.MUON_LOG_LEVEL),
      write: (line) => process.stderr.write(`${line}\n`),
    });
  const configFile = resolve(options.config);
  const config = loadConfigFile(configFile);
  const home = resolveHome(env);
  const local = readLocalFile(home);
  const elements = selectElements(config, options.ces, { home, env, logger });

  const apiUrl = options.apiUrl ?? env.MUON_API_URL ?? local?.apiUrl;
  if (!apiUrl)
    throw new CliError('Pilots need the API: pass --api-url, set MUON_API_URL, or start the local runtime.');
  const credentials = await pilotCredentials(options, env, local);
  const tables = resolveTables(env, local);
  const idleStop = config.agents.siteDirector.localIdleStopSeconds;

  const director = createSiteDirector({
    config,
    dynamo: tables.aws.dynamo,
    pilotsTable: tables.pilots,
    taskQueuesTable: tables.taskQueues,
    elements,
    pilotSpec: (ce) => {
      // A Local pilot is one slot of its element and stops when idle, as the local runtime's are.
      const localArguments = ce.type === 'Local' ? localPilotArguments(config, ce, idleStop) : [];
      return {
        arguments: pilotArguments(ce, apiUrl, ['--config', configFile, ...localArguments]),
        credentials,
      };
    },
    now: () => new Date(),
    logger,
  });

  const everyMs = (options.every ?? schedules.siteDirector.everySeconds) * 1000;
  logger.info('site director started', {
    elements: elements.map((ce) => `${ce.site}/${ce.name}`),
    tables: tables.where,
    everySeconds: options.once ? undefined : everyMs / 1000,
  });
  for (;;) {
    let failed = false;
    try {
      const run = await director.run();
      failed = run.elements.some((element) => element.skipped === 'failed');
      logger.info('site director cycle', { ...run });
    } catch (error) {
      // The tables could not be read: the next cycle tries again.
      if (options.once) throw error;
      logger.error('site director cycle failed', { error });
    }
    if (options.once) return failed ? 1 : 0;
    if (context.signal?.aborted) return 0;
    await sleep(everyMs, undefined, context.signal ? { signal: context.signal } : {}).catch(() => undefined);
    if (context.signal?.aborted) return 0;
  }
}

/** The named elements, or every Slurm one; AwsBatch elements are the Lambda's. */
export function selectElements(
  config: MuonConfig,
  names: readonly string[] | undefined,
  deps: { home: string; env: Env; logger: Logger },
): ComputingElement[] {
  const all = Object.entries(config.sites).flatMap(([site, siteConfig]) =>
    Object.entries(siteConfig.computingElements).map(([name, ce]) => ({
      key: `${site}/${name}`,
      site,
      name,
      ce,
    })),
  );
  let chosen = all.filter(({ ce }) => ce.type === 'Slurm');
  if (names && names.length > 0) {
    chosen = names.map((key) => {
      const found = all.find((element) => element.key === key);
      if (!found) {
        throw new CliError(
          `--ce ${key}: no such computing element in the configuration (known: ${all.map((e) => e.key).join(', ') || 'none'}).`,
          USAGE,
        );
      }
      if (!drivable.has(found.ce.type)) {
        throw new CliError(
          `--ce ${key} is an ${found.ce.type} element: the siteDirectorAgent Lambda drives those.`,
          USAGE,
        );
      }
      return found;
    });
  }
  if (chosen.length === 0)
    throw new CliError('The configuration has no Slurm computing element: name elements with --ce.', USAGE);
  return chosen.map(({ site, name, ce }) =>
    createComputingElement(site, name, ce, { home: deps.home, env: deps.env, logger: deps.logger }),
  );
}

interface Tables {
  readonly aws: AwsClients;
  readonly pilots: string;
  readonly taskQueues: string;
  /** Where the tables are, for the log. */
  readonly where: 'aws' | 'local';
}

/** The environment's table names (AWS, the default credentials), else the local runtime's. */
function resolveTables(env: Env, local: LocalFile | undefined): Tables {
  const named = resourceNamesFromEnvironment(env).tables;
  if (named.pilots !== undefined || named.taskQueues !== undefined) {
    const missing = (['pilots', 'taskQueues'] as const).filter((table) => named[table] === undefined);
    if (missing.length > 0)
      throw new CliError(`${missing.map(environmentNames.table).join(' and ')} must be set as well.`);
    return {
      aws: createAwsClients(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
      pilots: named.pilots as string,
      taskQueues: named.taskQueues as string,
      where: 'aws',
    };
  }
  const pilots = local?.tables?.pilots;
  const taskQueues = local?.tables?.taskQueues;
  if (local?.endpoints && pilots && taskQueues) {
    return {
      aws: createAwsClients({ endpoints: local.endpoints, credentials: emulatorCredentials, maxAttempts: 3 }),
      pilots,
      taskQueues,
      where: 'local',
    };
  }
  throw new CliError(
    `No tables to read: set ${environmentNames.table('pilots')} and ${environmentNames.table('taskQueues')} ` +
      '(with AWS credentials allowed to use them), or start the local runtime.',
  );
}

const positiveNumber = (value: string): number => {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('a positive number is needed.');
  return number;
};

interface Flags {
  config: string;
  ce?: string[];
  every?: number;
  once?: boolean;
  pilotToken?: string;
  pilotCredentials?: string;
}

export function registerSiteDirector(program: Command): void {
  program
    .command('site-director')
    .description('submit pilots to Slurm (or Local) computing elements where jobs wait, from this host')
    .exitOverride(usageErrors)
    .option('-c, --config <file>', 'configuration document', process.env.MUON_CONFIG ?? 'config/muon.yaml')
    .option('--ce <site/ce...>', 'the elements to drive (default: every Slurm element of the configuration)')
    .option(
      '--every <seconds>',
      `seconds between two cycles (default: ${schedules.siteDirector.everySeconds})`,
      positiveNumber,
    )
    .option('--once', 'run one cycle and exit (1 if an element failed)')
    .option(
      '--pilot-credentials <file>',
      'a 0600 JSON file of the pilots\' credentials: {"token": ...} or {"clientId": ..., "clientSecret": ..., "issuer"|"tokenUrl": ...}',
    )
    .option(
      '--pilot-token <token>',
      `the pilots' token (default: ${pilotTokenVariable}); visible to the host's processes`,
    )
    .addHelpText(
      'after',
      `\nThe tables: ${environmentNames.table('pilots')} and ${environmentNames.table('taskQueues')} with AWS\n` +
        'credentials, else the local runtime of $MUON_HOME. See docs/agents.md (SiteDirector).',
    )
    .action(async (flags: Flags, command: Command) => {
      const { apiUrl } = command.optsWithGlobals<{ apiUrl?: string }>();
      const controller = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (controller.signal.aborted) {
          console.error(`\n${signal} again: stopping now.`);
          process.exit(130);
        }
        console.error(`\n${signal}: stopping after this cycle (again to stop now)...`);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        process.exitCode = await runSiteDirector(
          {
            config: flags.config,
            ...(flags.ce ? { ces: flags.ce } : {}),
            ...(flags.every !== undefined ? { every: flags.every } : {}),
            ...(flags.once ? { once: true } : {}),
            ...(apiUrl ? { apiUrl } : {}),
            ...(flags.pilotToken ? { pilotToken: flags.pilotToken } : {}),
            ...(flags.pilotCredentials ? { pilotCredentialsFile: flags.pilotCredentials } : {}),
          },
          { signal: controller.signal },
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
