/**
 * `muon pilot`: run a pilot on this machine (a batch job, a container, a laptop), and
 * `muon pilot logs <reference>`: print a pilot's log. Usage errors exit with 2. The pilot's
 * credentials come from a one-shot file or standard input where a launcher started it, from the
 * pilot credentials secret on AWS Batch, or from `--token` and the environment for a person
 * (pilot/credentials.ts).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { type ClientOptions, describeDetail, flagOptions, reach, resolveClient } from '#cli/client.ts';
import { CliError, USAGE, usageErrors } from '#cli/errors.ts';
import { readLocalFile, resolveHome } from '#local/home.ts';
import {
  exposedCredentialsWarning,
  pilotTokenOf,
  readCredentialsFile,
  readCredentialsStream,
  removeCredentialVariables,
} from '#pilot/credentials.ts';
import {
  credentialsSecretVariable,
  readCredentialsSecret,
  regionOfSecret,
} from '#pilot/credentials-secret.ts';
import { clientCredentialsFromEnvironment, type PilotToken } from '#pilot/token.ts';

interface RunOptions {
  config: string;
  site?: string;
  ce?: string;
  cores?: number;
  memoryMb?: number;
  wallclockSeconds?: number;
  workDir?: string;
  reference?: string;
  maxJobs?: number;
  idleStop?: number;
  quiet?: boolean;
  credentialsFile?: string;
  credentialsStdin?: boolean;
  // Push mode
  push?: string;
  partition?: string;
  account?: string;
  nodes?: number;
  coresPerNode?: number;
  isolateNetwork?: boolean;
  pollSeconds?: number;
}

const positiveInteger = (value: string): number => {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new InvalidArgumentError('a positive integer is needed.');
  return number;
};

const positiveNumber = (value: string): number => {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('a positive number is needed.');
  return number;
};

export interface PilotConnection {
  readonly apiUrl: string;
  readonly token: PilotToken;
}

/** Where a launcher hands the pilot its credentials. */
export interface CredentialOptions {
  readonly credentialsFile?: string | undefined;
  readonly credentialsStdin?: boolean | undefined;
}

export interface PilotConnectionIo {
  readonly stdin?: NodeJS.ReadableStream;
  /** One line, for credentials a payload could read. */
  readonly warn?: (line: string) => void;
}

/**
 * The API (`--api-url`, `MUON_API_URL`, the local runtime's) and how the pilot authenticates, the
 * first of: `--credentials-file` or `--credentials-stdin` (then the credential variables are
 * dropped from `env`); `--token`, `MUON_TOKEN`, a client from `MUON_CLIENT_ID`/`MUON_CLIENT_SECRET`
 * (each with a warning: payloads can read them); the secret of `MUON_PILOT_CREDENTIALS_SECRET_ARN`
 * (AWS Batch); the local runtime's pilot token.
 */
export async function pilotConnection(
  global: ClientOptions,
  options: CredentialOptions = {},
  env: Record<string, string | undefined> = process.env,
  io: PilotConnectionIo = {},
): Promise<PilotConnection> {
  const local = readLocalFile(resolveHome(env));
  const apiUrl = global.apiUrl ?? env.MUON_API_URL ?? local?.apiUrl;
  if (!apiUrl) {
    throw new CliError('No API to talk to: pass --api-url, set MUON_API_URL, or start the local runtime.');
  }
  const token = await pilotToken(global, options, env, io, local?.tokens.pilot);
  if (!token)
    throw new CliError(
      'A pilot needs a token of a GenericPilot group: pass --credentials-file, or --token, or set MUON_TOKEN, or MUON_CLIENT_ID and MUON_CLIENT_SECRET.',
    );
  return { apiUrl, token };
}

async function pilotToken(
  global: ClientOptions,
  options: CredentialOptions,
  env: Record<string, string | undefined>,
  io: PilotConnectionIo,
  localToken: string | undefined,
): Promise<PilotToken | undefined> {
  const warn = io.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (options.credentialsFile !== undefined || options.credentialsStdin) {
    if (options.credentialsFile !== undefined && options.credentialsStdin)
      throw new CliError('Give --credentials-file or --credentials-stdin, not both.', USAGE);
    if (global.token !== undefined)
      throw new CliError('Give --token or the credentials option, not both.', USAGE);
    const source = options.credentialsFile ?? 'standard input';
    const credentials =
      options.credentialsFile !== undefined
        ? await readCredentialsFile(options.credentialsFile)
        : await readCredentialsStream(io.stdin ?? process.stdin);
    // What the launcher may still have set: nothing the payloads could inherit or read later.
    removeCredentialVariables(env);
    return pilotTokenOf(credentials, env, source);
  }
  if (global.token !== undefined) {
    warn(exposedCredentialsWarning('--token'));
    return global.token;
  }
  if (env.MUON_TOKEN) {
    warn(exposedCredentialsWarning('MUON_TOKEN'));
    return env.MUON_TOKEN;
  }
  const client = clientCredentialsFromEnvironment(env);
  if (client) {
    warn(exposedCredentialsWarning('MUON_CLIENT_ID and MUON_CLIENT_SECRET'));
    return client;
  }
  const secretArn = env[credentialsSecretVariable];
  if (secretArn) return credentialsFromSecret(secretArn, env);
  return localToken;
}

/** The AWS Batch pilot's client, from the secret its job definition names (loaded on use). */
async function credentialsFromSecret(arn: string, env: Record<string, string | undefined>) {
  const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const region = regionOfSecret(arn) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const client = new SecretsManagerClient(region ? { region } : {});
  try {
    return await readCredentialsSecret(arn, client, env);
  } finally {
    client.destroy();
  }
}

export function registerPilot(program: Command): void {
  const pilot = program
    .command('pilot')
    .description('run a pilot: register, pull jobs from the matcher, run them, report')
    .exitOverride(usageErrors);

  pilot
    .command('run', { isDefault: true })
    .description(
      'run a pilot until it is idle, out of time, or stopped (SIGTERM drains, a second one interrupts)',
    )
    .option(
      '-c, --config <file>',
      'configuration document, or "api" for the live one (GET /api/config)',
      process.env.MUON_CONFIG ?? 'config/muon.yaml',
    )
    .option(
      '--site <site>',
      'the site the pilot runs at (default: that of the first Local computing element)',
    )
    .option('--ce <name>', 'its computing element (default: the first Local one)')
    .option('--cores <n>', 'cores to fill (default: SLURM_CPUS_ON_NODE, else the node’s)', positiveInteger)
    .option(
      '--memory-mb <mb>',
      'memory (default: SLURM_MEM_PER_NODE, else the node’s or its cgroup’s)',
      positiveInteger,
    )
    .option(
      '--wallclock-seconds <s>',
      'seconds the pilot may run (default: MUON_PILOT_WALLCLOCK_SECONDS, else SLURM’s time left, else unlimited)',
      positiveNumber,
    )
    .option(
      '--work-dir <dir>',
      'where jobs run and the pilot log is written (default: a new temporary directory)',
    )
    .option(
      '--reference <reference>',
      'the pilot reference (default: the batch system’s job, else one from the API)',
    )
    .option('--max-jobs <n>', 'stop taking jobs after this many', positiveInteger)
    .option(
      '--idle-stop <seconds>',
      'stop after this long without work (default: pilot.idleStopSeconds)',
      positiveNumber,
    )
    .option('-q, --quiet', 'do not echo the pilot log to stderr')
    .option(
      '--credentials-file <path>',
      'read the pilot credentials (JSON {"token"} or {"clientId", "clientSecret", ...}) from this 0600 file, then delete it',
    )
    .option('--credentials-stdin', 'read the pilot credentials (the same JSON) from standard input')
    .option(
      '--push <batch system>',
      'push mode on an HPC edge node: run the network steps here, hand the payloads to the batch system (slurm)',
    )
    .option('--partition <name>', 'push mode: the Slurm partition (default: the CE’s settings)')
    .option('--account <name>', 'push mode: the Slurm account (default: the CE’s settings)')
    .option('--nodes <n>', 'push mode: compute nodes to fill', positiveInteger)
    .option('--cores-per-node <n>', 'push mode: cores of each compute node', positiveInteger)
    .option('--no-isolate-network', 'push mode: let payloads reach the network (default: unshare --net)')
    .option('--poll-seconds <s>', 'push mode: seconds between two squeue calls', positiveNumber)
    .addHelpText(
      'after',
      '\nIn push mode --max-jobs is the number of payloads in the batch system at once; --cores,\n' +
        '--memory-mb, --wallclock-seconds and --reference do not apply. See docs/push-mode.md.',
    )
    .action(async (options: RunOptions, command: Command) => {
      // Usage is checked before the credentials are read: a one-shot file is deleted once read.
      const push = options.push !== undefined ? await pushRunner(options, command) : undefined;
      const connection = await pilotConnection(command.optsWithGlobals<ClientOptions>(), {
        credentialsFile: options.credentialsFile,
        credentialsStdin: options.credentialsStdin,
      });
      // `--config api`: the live configuration, as a Batch pilot gets it (pilot/live-config.ts), for
      // the pull and the push pilot alike.
      const { downloadLiveConfig, liveConfigName } = await import('#pilot/live-config.ts');
      const config =
        options.config === liveConfigName ? await downloadLiveConfig(connection) : options.config;
      if (push) {
        process.exitCode = await push(connection, config);
        return;
      }
      // Loaded on use: `muon pilot logs` and the other commands do not need the pilot's modules.
      const { runPilotProcess } = await import('#pilot/main.ts');
      process.exitCode = await runPilotProcess({
        ...connection,
        config,
        resources: {
          ...(options.cores !== undefined ? { cores: options.cores } : {}),
          ...(options.memoryMb !== undefined ? { memoryMb: options.memoryMb } : {}),
          ...(options.wallclockSeconds !== undefined ? { wallClockSeconds: options.wallclockSeconds } : {}),
        },
        ...(options.site !== undefined ? { site: options.site } : {}),
        ...(options.ce !== undefined ? { ce: options.ce } : {}),
        ...(options.reference !== undefined ? { reference: options.reference } : {}),
        ...(options.workDir !== undefined ? { workDir: options.workDir } : {}),
        ...(options.maxJobs !== undefined ? { maxJobs: options.maxJobs } : {}),
        ...(options.idleStop !== undefined ? { idleStopSeconds: options.idleStop } : {}),
        ...(options.quiet ? { quiet: true } : {}),
      });
    });

  pilot
    .command('logs')
    .description(
      'print the log a pilot uploaded (its owner’s jobs’ users, admins, and the pilot may read it)',
    )
    .argument('<reference>', 'the pilot reference')
    .action(async (reference: string, _options: unknown, command: Command) => {
      const client = resolveClient(flagOptions(command));
      const { body } = await client.request<{ url: string }>(
        'GET',
        `/api/pilots/logs?reference=${encodeURIComponent(reference)}`,
      );
      const response = await reach('the log store', body.url);
      const text = await response.text();
      if (!response.ok)
        throw new CliError(`The log download failed (${response.status}): ${describeDetail(text)}`);
      process.stdout.write(text);
    });
}

/** The push-mode pilot of `options`, once they are checked; it runs with a connection. */
async function pushRunner(
  options: RunOptions,
  command: Command,
): Promise<(connection: PilotConnection, config: string) => Promise<number>> {
  const { pushTargets, runPushPilotFromCli } = await import('#pilot/push/main.ts');
  if (!(pushTargets as readonly string[]).includes(options.push ?? '')) {
    throw new CliError(`--push takes one of: ${pushTargets.join(', ')} (got "${options.push}").`, USAGE);
  }
  for (const pullOnly of ['cores', 'memoryMb', 'wallclockSeconds', 'reference'] as const) {
    if (options[pullOnly] !== undefined) {
      const flag = `--${pullOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new CliError(`${flag} does not apply in push mode.`, USAGE);
    }
  }
  // Commander sets isolateNetwork to true unless --no-isolate-network: only the flag overrides the CE.
  const isolateSource = command.getOptionValueSource('isolateNetwork');
  return (connection, config) =>
    runPushPilotFromCli({
      ...connection,
      config,
      site: options.site,
      ce: options.ce,
      partition: options.partition,
      account: options.account,
      maxJobs: options.maxJobs,
      nodes: options.nodes,
      coresPerNode: options.coresPerNode,
      workDir: options.workDir,
      pollSeconds: options.pollSeconds,
      ...(isolateSource === 'cli' ? { isolateNetwork: false } : {}),
      ...(options.idleStop !== undefined ? { idleStopSeconds: options.idleStop } : {}),
      ...(options.quiet ? { quiet: true } : {}),
    });
}
