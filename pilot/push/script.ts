/**
 * What push mode writes for Slurm: the payload's batch script, where it leaves its results in the
 * job's `.muon/` directory, and the `sbatch` options of one payload. pilot/push/ending.ts reads
 * them back.
 */
import { join } from 'node:path';
import type { JobPaths } from '#pilot/wrapper/workdir.ts';

/** The files of one payload in the job directory's `.muon/` (the compute node writes them). */
export function payloadFiles(paths: JobPaths) {
  const at = (name: string) => join(paths.private, name);
  return {
    script: at('payload.sh'),
    /** The batch script's own output (Slurm's --output): only the script's complaints land there. */
    batchOutput: at('slurm.out'),
    exitCode: at('payload.exit'),
    /** Why the script could not run the payload (no network isolation). */
    error: at('payload.error'),
    times: at('payload.times'),
    startedAt: at('payload.start'),
    endedAt: at('payload.end'),
  };
}
export type PayloadFiles = ReturnType<typeof payloadFiles>;

const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Slurm's variables a payload may want (MPI, thread counts), passed on when Slurm sets them. */
const slurmVariables = [
  'SLURM_JOB_ID',
  'SLURM_JOB_NAME',
  'SLURM_JOB_NODELIST',
  'SLURM_JOB_PARTITION',
  'SLURM_CLUSTER_NAME',
  'SLURM_CPUS_PER_TASK',
  'SLURM_CPUS_ON_NODE',
  'SLURM_MEM_PER_NODE',
  'SLURM_NTASKS',
  'SLURMD_NODENAME',
];

export interface ScriptInput {
  readonly jobId: number;
  readonly pilotReference: string;
  readonly paths: JobPaths;
  readonly command: readonly string[];
  /** The payload's whole environment (preProcess's); Slurm's own variables are added. */
  readonly env: Readonly<Record<string, string>>;
  /** Run the payload in a new network namespace: only a loopback interface, down. */
  readonly isolateNetwork: boolean;
}

/**
 * The batch script of one payload. On the compute node it enters the job directory, cuts the
 * payload off the network when asked (and refuses to run it when it cannot), runs it with exactly
 * its environment, its output in std.out and std.err, and writes its exit code, CPU time and start
 * and end times to `.muon/`, where the push pilot reads them once Slurm says the job ended.
 */
export function payloadScript(input: ScriptInput): string {
  const files = payloadFiles(input.paths);
  const env = Object.entries(input.env)
    .filter(([name]) => variableName.test(name))
    .map(([name, value]) => quote(`${name}=${value}`));
  const slurm = slurmVariables.map((name) => `\${${name}+"${name}=$${name}"}`);
  const lines = [
    '#!/bin/sh',
    `# muon push mode: the payload of job ${input.jobId}, submitted by ${input.pilotReference}.`,
    `cd ${quote(input.paths.root)} || exit 97`,
    'now() { date +%s.%N 2>/dev/null || date +%s; }',
    ...(input.isolateNetwork ? isolation(files) : ['isolate=']),
    `now >${quote(files.startedAt)}`,
    // The prefix stays unquoted: it is empty or words without special characters.
    `$isolate env -i ${[...env, ...slurm, ...input.command.map(quote)].join(' \\\n  ')} \\\n  <${quote('/dev/null')} >${quote(input.paths.stdout)} 2>${quote(input.paths.stderr)}`,
    'code=$?',
    `times >${quote(files.times)}`,
    `now >${quote(files.endedAt)}`,
    `echo "$code" >${quote(`${files.exitCode}.tmp`)} && mv ${quote(`${files.exitCode}.tmp`)} ${quote(files.exitCode)}`,
    'exit "$code"',
  ];
  return `${lines.join('\n')}\n`;
}

/** `unshare --net` as root; an unprivileged user needs a user namespace for it. */
function isolation(files: PayloadFiles): string[] {
  const error = quote(files.error);
  return [
    'if [ "$(id -u)" -eq 0 ]; then isolate="unshare --net --"',
    'elif unshare --user --map-current-user --net -- true 2>/dev/null; then isolate="unshare --user --map-current-user --net --"',
    'else isolate="unshare --user --map-root-user --net --"; fi',
    `if ! why=$($isolate true 2>&1); then`,
    `  echo "the payload cannot be cut off from the network ($isolate): $why" >${error}`,
    '  exit 98',
    'fi',
  ];
}

export interface SbatchInput {
  readonly jobId: number;
  readonly paths: JobPaths;
  readonly processors: number;
  readonly timeLimitMinutes: number;
  readonly memoryMb?: number | undefined;
  readonly wholeNode: boolean;
  readonly partition?: string | undefined;
  readonly account?: string | undefined;
  readonly extra: readonly string[];
}

export function sbatchArguments(input: SbatchInput): string[] {
  const files = payloadFiles(input.paths);
  return [
    '--parsable',
    `--job-name=muon-job-${input.jobId}`,
    `--chdir=${input.paths.root}`,
    `--output=${files.batchOutput}`,
    '--nodes=1',
    '--ntasks=1',
    `--cpus-per-task=${input.processors}`,
    `--time=${input.timeLimitMinutes}`,
    ...(input.memoryMb !== undefined ? [`--mem=${input.memoryMb}M`] : []),
    ...(input.wholeNode ? ['--exclusive'] : []),
    ...(input.partition ? [`--partition=${input.partition}`] : []),
    ...(input.account ? [`--account=${input.account}`] : []),
    ...input.extra,
    files.script,
  ];
}

/**
 * `sbatch --time` in minutes: the wall clock the job may take, as the watchdog's CPU limit gives
 * it on one core (CPUTime / normalization factor, plus the margin), within the watchdog's wall
 * clock and the partition's limit, at least a minute.
 */
export function timeLimitMinutes(input: {
  readonly cpuTime: number;
  readonly cpuNormalizationFactor: number;
  readonly cpuLimitMargin: number;
  readonly maxWallClockSeconds: number;
  readonly partitionLimitMinutes?: number | undefined;
}): number {
  const seconds = Math.min(
    (input.cpuTime / input.cpuNormalizationFactor) * (1 + input.cpuLimitMargin),
    input.maxWallClockSeconds,
  );
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return input.partitionLimitMinutes === undefined ? minutes : Math.min(minutes, input.partitionLimitMinutes);
}
