/**
 * The Slurm computing element: one `sbatch` job per pilot, read back with `squeue` and stopped with
 * `scancel`, run on a host that is a Slurm submit node (DIRAC's SLURM batch system, run locally).
 * Slurm keeps finished jobs for MinJobAge (300 s by default), so `squeue -t all` sees them end;
 * accounting (`sacct`) is not needed.
 *
 * Credentials never go into the batch script (Slurm stores it, and the job's own uid can read it
 * back with `scontrol write batch_script`) nor into the job's environment (sbatch runs without
 * credential variables). Each pilot's go into a one-shot 0600 file under `<workDir>/credentials/`
 * (0700), on the file system the worker nodes share, named by `--credentials-file`; the pilot
 * deletes it once read. The file keeps out other users only: the batch jobs run as the site
 * director's uid, so a payload of one pilot could read the file of another that has not started
 * yet. A pilot cancelled while pending never reads its file: each `submitPilots` removes the files
 * older than `SlurmOptions.credentialsMaxAgeMs` (a day).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chunk } from '#shared/concurrency.ts';
import type { Logger } from '#shared/log.ts';
import { CommandNotFoundError, type CommandResult, runCommand } from './command.ts';
import {
  availability,
  type ComputingElement,
  type PilotLimits,
  type PilotState,
  unknownStates,
} from './computing-element.ts';
import {
  credentialsFileOption,
  credentialsHandOver,
  removeCredentialsFilesOlderThan,
  withoutCredentials,
} from './credentials.ts';
import { ComputingElementError, ComputingElementUnavailableError } from './errors.ts';
import { pilotReference, referenceId, schemes } from './reference.ts';
import type { SlurmSettings } from './settings.ts';
import {
  batchScript,
  controllerUnavailable,
  firstLine,
  parseClusterName,
  parseSbatch,
  parseSqueue,
  pilotStateOfSlurm,
} from './slurm-commands.ts';

export interface SlurmOptions {
  readonly site: string;
  readonly name: string;
  readonly limits: PilotLimits;
  readonly settings: SlurmSettings;
  /** Where pilot logs go: a directory the worker nodes can write. */
  readonly workDir: string;
  readonly processors: number;
  readonly memoryMb?: number;
  /**
   * The environment of the Slurm commands (`SLURM_CONF`, `PATH`); submitted jobs inherit it, less
   * its credential variables.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  readonly commandTimeoutMs?: number;
  /** How long a pilot's credentials file waits for it: older ones are removed; default a day. */
  readonly credentialsMaxAgeMs?: number;
}

const defaultCredentialsMaxAgeMs = 24 * 3600 * 1000;

/** Job ids per squeue call: keeps the command line short. */
const idsPerQuery = 200;

export function createSlurmComputingElement(options: SlurmOptions): ComputingElement {
  const { settings, site, name } = options;
  const jobName = `muon-${site}-${name}`;
  const label = `Slurm CE ${site}/${name}`;
  const credentialsDir = join(options.workDir, 'credentials');
  let cluster = settings.cluster;
  // A batch job inherits sbatch's environment (--export=ALL): the site director's credentials stay here.
  // SLURM_UMASK: sbatch keeps one already set, and the pilot's log (--output) is made with it.
  const commandEnv = { SLURM_UMASK: '0077', ...withoutCredentials(options.env) };

  const run = async (program: string, args: readonly string[], input?: string): Promise<CommandResult> => {
    try {
      return await runCommand(program, args, {
        env: commandEnv,
        timeoutMs: options.commandTimeoutMs ?? 60_000,
        ...(input !== undefined ? { input } : {}),
      });
    } catch (error) {
      if (error instanceof CommandNotFoundError) {
        throw new ComputingElementError(
          `${label}: ${error.message} on this host; install the Slurm clients (apt-get install slurm-client).`,
          { cause: error },
        );
      }
      throw error;
    }
  };

  /** The command's result, or the error it means. */
  const checked = (program: string, result: CommandResult): CommandResult => {
    if (result.code === 0) return result;
    const why = result.timedOut
      ? `${program} gave no answer in ${options.commandTimeoutMs ?? 60_000} ms`
      : firstLine(result.stderr);
    if (result.timedOut || controllerUnavailable(result.stderr)) {
      throw new ComputingElementUnavailableError(`${label} is unavailable: ${why}`);
    }
    throw new ComputingElementError(`${label}: ${program} failed (exit code ${result.code}): ${why}`);
  };

  const clusterName = async (): Promise<string> => {
    if (cluster) return cluster;
    const found = parseClusterName(checked('scontrol', await run('scontrol', ['show', 'config'])).stdout);
    if (!found) throw new ComputingElementError(`${label}: scontrol show config names no ClusterName`);
    cluster = found;
    return found;
  };

  const sbatchArguments = (): string[] => [
    '--parsable',
    `--job-name=${jobName}`,
    `--output=${options.workDir}/%j.log`,
    `--chdir=${options.workDir}`,
    '--ntasks=1',
    `--cpus-per-task=${options.processors}`,
    ...(options.memoryMb !== undefined ? [`--mem=${options.memoryMb}M`] : []),
    ...(settings.partition ? [`--partition=${settings.partition}`] : []),
    ...(settings.account ? [`--account=${settings.account}`] : []),
    ...(settings.timeLimitMinutes ? [`--time=${settings.timeLimitMinutes}`] : []),
    ...settings.sbatchOptions,
  ];

  return {
    name,
    type: 'Slurm',
    site,

    async submitPilots(count, spec) {
      const env = spec.env ?? {};
      const handOver = credentialsHandOver(credentialsDir, spec, label);
      const place = await clusterName();
      mkdirSync(options.workDir, { recursive: true });
      const removed = await removeCredentialsFilesOlderThan(
        credentialsDir,
        options.credentialsMaxAgeMs ?? defaultCredentialsMaxAgeMs,
      );
      if (removed > 0)
        options.logger?.info('removed credentials files no pilot read', { ce: name, site, removed });
      const references: string[] = [];
      for (let i = 0; i < count; i++) {
        try {
          // One file per pilot: each deletes its own once read.
          const id = await handOver(async (credentials) => {
            const command = [
              ...settings.command,
              ...spec.arguments,
              ...(credentials ? [credentialsFileOption, credentials] : []),
            ];
            const script = batchScript(place, env, command);
            const result = checked('sbatch', await run('sbatch', sbatchArguments(), script));
            const found = parseSbatch(result.stdout);
            if (!found)
              throw new ComputingElementError(
                `${label}: sbatch printed no job id: ${firstLine(result.stdout)}`,
              );
            return found;
          });
          references.push(pilotReference(schemes.Slurm, place, id));
        } catch (error) {
          // The pilots already submitted run: hand them back so they are recorded.
          if (references.length === 0) throw error;
          options.logger?.warn('submitted fewer pilots than asked', { ce: name, site, asked: count, error });
          break;
        }
      }
      return references;
    },

    async status(references) {
      const states = unknownStates(references);
      const place = await clusterName();
      const byId = new Map<string, string>();
      for (const reference of references) {
        const id = referenceId(reference, schemes.Slurm, place);
        if (id !== undefined && /^\d+$/.test(id)) byId.set(id, reference);
      }
      for (const ids of chunk([...byId.keys()], idsPerQuery)) {
        const result = await run('squeue', ['-h', '-t', 'all', '-o', '%i %T', '-j', ids.join(',')]);
        // Slurm answers "Invalid job id" when it has forgotten every one of them: they stay Unknown.
        if (result.code !== 0 && /Invalid job id/i.test(result.stderr)) continue;
        for (const [id, state] of parseSqueue(checked('squeue', result).stdout)) {
          const reference = byId.get(id);
          if (reference) states.set(reference, pilotStateOfSlurm(state));
        }
      }
      return states;
    },

    async cancel(references) {
      const place = await clusterName();
      const ids = references
        .map((reference) => referenceId(reference, schemes.Slurm, place))
        .filter((id): id is string => id !== undefined && /^\d+$/.test(id));
      for (const batch of chunk(ids, idsPerQuery)) {
        const result = await run('scancel', ['--quiet', ...batch]);
        // Jobs that already ended or were forgotten need no cancelling.
        if (result.code !== 0 && /Invalid job id|already completing or completed/i.test(result.stderr))
          continue;
        checked('scancel', result);
      }
    },

    async available() {
      const result = checked('squeue', await run('squeue', ['-h', '-n', jobName, '-o', '%i %T']));
      let running = 0;
      let waiting = 0;
      for (const state of parseSqueue(result.stdout).values()) {
        const pilotState: PilotState = pilotStateOfSlurm(state);
        if (pilotState === 'Waiting') waiting++;
        else if (pilotState === 'Running') running++;
      }
      return availability(running, waiting, options.limits);
    },
  };
}
