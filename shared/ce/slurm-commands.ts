/**
 * What the Slurm CE writes and reads: the batch script, the output of `squeue`, the state names
 * (as DIRAC's SLURM batch system maps them) and which failures mean "the controller is away".
 */
import type { PilotState } from './computing-element.ts';
import { ComputingElementError } from './errors.ts';
import { referenceEnvironmentName } from './reference.ts';

const states: Readonly<Record<string, PilotState>> = {
  PENDING: 'Waiting',
  CONFIGURING: 'Waiting',
  REQUEUED: 'Waiting',
  REQUEUE_HOLD: 'Waiting',
  REQUEUE_FED: 'Waiting',
  RESV_DEL_HOLD: 'Waiting',
  SUSPENDED: 'Waiting',
  STOPPED: 'Waiting',
  RUNNING: 'Running',
  COMPLETING: 'Running',
  SIGNALING: 'Running',
  STAGE_OUT: 'Running',
  RESIZING: 'Running',
  COMPLETED: 'Done',
  FAILED: 'Failed',
  TIMEOUT: 'Failed',
  NODE_FAIL: 'Failed',
  OUT_OF_MEMORY: 'Failed',
  BOOT_FAIL: 'Failed',
  DEADLINE: 'Failed',
  SPECIAL_EXIT: 'Failed',
  CANCELLED: 'Aborted',
  PREEMPTED: 'Aborted',
  REVOKED: 'Aborted',
};

/** A Slurm job state (`squeue %T`, `scontrol JobState`) as a pilot state. */
export function pilotStateOfSlurm(state: string): PilotState {
  const name = state.trim().split(/[\s+]/)[0]?.toUpperCase() ?? '';
  return states[name] ?? 'Unknown';
}

/** `squeue -h -o '%i %T'` lines as job id → Slurm state. */
export function parseSqueue(stdout: string): Map<string, string> {
  const jobs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [id, state] = line.trim().split(/\s+/);
    if (id && state) jobs.set(id, state);
  }
  return jobs;
}

/** `ClusterName = x` of `scontrol show config`. */
export const parseClusterName = (stdout: string): string | undefined =>
  /^ClusterName\s*=\s*(\S+)/m.exec(stdout)?.[1];

/** `sbatch --parsable` prints `jobid` or `jobid;cluster`. */
export const parseSbatch = (stdout: string): string | undefined => /^(\d+)(;\S+)?$/.exec(stdout.trim())?.[1];

const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * The batch script of one pilot, given to sbatch on its standard input: the reference, the pilot's
 * environment, then `exec` of its command. Slurm stores the script and the job can read it back
 * (`scontrol write batch_script`), so it never holds credentials: the command names a credentials
 * file instead. The pilot's files are its own only (umask 077).
 */
export function batchScript(
  cluster: string,
  env: Readonly<Record<string, string>>,
  command: readonly string[],
) {
  const lines = [
    '#!/bin/sh',
    '# A muon pilot, submitted by the site director.',
    'umask 077',
    `${referenceEnvironmentName}=${quote(`slurm://${cluster}/`)}"$SLURM_JOB_ID"; export ${referenceEnvironmentName}`,
    ...Object.entries(env).map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw new ComputingElementError(`not an environment variable name: "${name}"`);
      return `${name}=${quote(value)}; export ${name}`;
    }),
    `exec ${command.map(quote).join(' ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** Messages of the Slurm clients when the controller cannot be reached or is overloaded. */
const unavailableMessages =
  /Unable to contact slurm controller|Socket timed out|Connection refused|Zero Bytes were transmitted|temporarily unable|in standby mode|Communication connection failure|Transport endpoint/i;

export const controllerUnavailable = (stderr: string): boolean => unavailableMessages.test(stderr);

/** The first line of a command's complaint, for an error message. */
export const firstLine = (text: string): string =>
  text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line.length > 0) ?? '(no message)';
