/**
 * The Slurm commands push mode runs on the edge node: `sbatch` one payload, `squeue` many at once,
 * `scancel` one. The commands get the pilot's environment without its credentials, since a batch
 * job inherits the environment `sbatch` had.
 */
import { payloadEnvironment } from '#pilot/wrapper/command.ts';
import { CommandNotFoundError, type CommandResult, runCommand } from '#shared/ce/command.ts';
import { ComputingElementError, ComputingElementUnavailableError } from '#shared/ce/errors.ts';
import { controllerUnavailable, firstLine, parseSbatch } from '#shared/ce/slurm-commands.ts';
import { chunk } from '#shared/concurrency.ts';
import { parseSqueueJobs, type SqueueJob, squeueFormat } from './ending.ts';

export interface SlurmClient {
  /** Submits a batch script; its Slurm job id. */
  submit(args: readonly string[]): Promise<string>;
  /** The state of each id Slurm still knows; ids it has forgotten are absent. */
  query(ids: readonly string[]): Promise<Map<string, SqueueJob>>;
  cancel(id: string): Promise<void>;
}

/** Job ids per squeue call: keeps the command line short. */
const idsPerQuery = 200;

export function createSlurmClient(options: {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs?: number;
}): SlurmClient {
  const env = payloadEnvironment(options.env, {});
  const timeoutMs = options.timeoutMs ?? 60_000;

  const run = async (program: string, args: readonly string[]): Promise<CommandResult> => {
    try {
      return await runCommand(program, args, { env, timeoutMs });
    } catch (error) {
      if (error instanceof CommandNotFoundError) {
        throw new ComputingElementError(
          `push mode: ${error.message} on this host; install the Slurm clients (apt-get install slurm-client).`,
          { cause: error },
        );
      }
      throw error;
    }
  };

  const checked = (program: string, result: CommandResult): CommandResult => {
    if (result.code === 0) return result;
    const why = result.timedOut ? `${program} gave no answer in ${timeoutMs} ms` : firstLine(result.stderr);
    if (result.timedOut || controllerUnavailable(result.stderr)) {
      throw new ComputingElementUnavailableError(`Slurm is unavailable: ${why}`);
    }
    throw new ComputingElementError(`${program} failed (exit code ${result.code}): ${why}`);
  };

  return {
    async submit(args) {
      const result = checked('sbatch', await run('sbatch', args));
      const id = parseSbatch(result.stdout);
      if (!id) throw new ComputingElementError(`sbatch printed no job id: ${firstLine(result.stdout)}`);
      return id;
    },

    async query(ids) {
      const jobs = new Map<string, SqueueJob>();
      for (const batch of chunk([...ids], idsPerQuery)) {
        const result = await run('squeue', ['-h', '-t', 'all', '-o', squeueFormat, '-j', batch.join(',')]);
        // Slurm answers "Invalid job id" when it has forgotten every one of them.
        if (result.code !== 0 && /Invalid job id/i.test(result.stderr)) continue;
        for (const [id, job] of parseSqueueJobs(checked('squeue', result).stdout)) jobs.set(id, job);
      }
      return jobs;
    },

    async cancel(id) {
      const result = await run('scancel', ['--quiet', id]);
      // A job that already ended or was forgotten needs no cancelling.
      if (result.code !== 0 && /Invalid job id|already completing or completed/i.test(result.stderr)) return;
      checked('scancel', result);
    },
  };
}
