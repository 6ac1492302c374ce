/**
 * What the pilot has to offer: cores, memory, disk, and how long it may still run. Options given on
 * the command line win; then what the batch system says (SLURM's environment and `squeue`, AWS
 * Batch's environment); then what the node and its cgroup say. Time left is "unlimited" when
 * nothing bounds it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { availableParallelism, hostname, totalmem } from 'node:os';
import { pilotReferenceFromEnvironment } from '#shared/ce/reference.ts';

export interface ResourceOverrides {
  readonly cores?: number;
  readonly memoryMb?: number;
  readonly wallClockSeconds?: number;
}

/** The batch job the pilot runs as, when there is one. */
export interface BatchJob {
  readonly system: 'slurm' | 'awsbatch';
  readonly jobId: string;
}

export interface PilotResources {
  readonly cores: number;
  readonly memoryMb: number;
  readonly diskMb: number;
  /** Wall-clock seconds the pilot had at start; absent when unlimited. */
  readonly wallClockSeconds?: number;
  /** Where the wall clock came from: `slurm` is asked again as time goes by. */
  readonly wallClockFrom?: 'given' | 'slurm';
  readonly batch?: BatchJob;
  /**
   * The reference the pilot's computing element knows it by (`pilotReferenceFromEnvironment`: the
   * one the CE set, else the batch system's), so its registration takes over the site director's
   * record; absent for a pilot started by hand.
   */
  readonly reference?: string;
}

/** The node as the pilot sees it (replaced in tests). */
export interface NodeProbe {
  readonly env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): string | undefined;
  run(command: string, args: readonly string[]): Promise<string>;
  freeDiskBytes(path: string): Promise<number>;
  totalMemoryBytes(): number;
  cpus(): number;
  hostname(): string;
}

const nodeProbe = (env: Readonly<Record<string, string | undefined>> = process.env): NodeProbe => ({
  env,
  readFile: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  run: (command, args) =>
    new Promise((resolve, reject) =>
      execFile(command, [...args], { timeout: 30_000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    ),
  freeDiskBytes: async (path) => {
    const stats = await statfs(path);
    return stats.bavail * stats.bsize;
  },
  totalMemoryBytes: totalmem,
  cpus: availableParallelism,
  hostname,
});

const mib = 1024 * 1024;

function batchJob(env: NodeProbe['env']): BatchJob | undefined {
  if (env.SLURM_JOB_ID) return { system: 'slurm', jobId: env.SLURM_JOB_ID };
  if (env.AWS_BATCH_JOB_ID) return { system: 'awsbatch', jobId: env.AWS_BATCH_JOB_ID };
  return undefined;
}

export async function discoverResources(
  workDir: string,
  overrides: ResourceOverrides = {},
  probe: NodeProbe = nodeProbe(),
): Promise<PilotResources> {
  const batch = batchJob(probe.env);
  const reference = pilotReferenceFromEnvironment(probe.env);
  const given = overrides.wallClockSeconds ?? positive(probe.env.MUON_PILOT_WALLCLOCK_SECONDS);
  const wallClockSeconds = given ?? (await slurmTimeLeft(probe));
  return {
    cores: overrides.cores ?? positive(probe.env.SLURM_CPUS_ON_NODE) ?? nodeCores(probe),
    memoryMb: overrides.memoryMb ?? positive(probe.env.SLURM_MEM_PER_NODE) ?? nodeMemoryMb(probe),
    diskMb: Math.floor((await probe.freeDiskBytes(workDir)) / mib),
    ...(wallClockSeconds !== undefined
      ? { wallClockSeconds, wallClockFrom: given !== undefined ? 'given' : 'slurm' }
      : {}),
    ...(batch ? { batch } : {}),
    ...(reference ? { reference } : {}),
  };
}

/**
 * Seconds the pilot may still run, or undefined when unlimited: counted down from the wall clock it
 * had at start; under SLURM without a given wall clock, `squeue` is asked again now and then (an
 * administrator may extend or shorten the job).
 */
export function createTimeLeft(
  resources: PilotResources,
  options: { probe?: NodeProbe; now?: () => number; refreshSeconds?: number } = {},
): () => Promise<number | undefined> {
  const now = options.now ?? Date.now;
  const probe = options.probe ?? nodeProbe();
  const refreshMs = (options.refreshSeconds ?? 300) * 1000;
  let measuredAt = now();
  let deadline =
    resources.wallClockSeconds === undefined ? undefined : measuredAt + resources.wallClockSeconds * 1000;
  const askSlurm = resources.wallClockFrom === 'slurm';
  return async () => {
    if (askSlurm && now() - measuredAt >= refreshMs) {
      measuredAt = now();
      const left = await slurmTimeLeft(probe);
      if (left !== undefined) deadline = measuredAt + left * 1000;
    }
    return deadline === undefined ? undefined : Math.max(0, Math.floor((deadline - now()) / 1000));
  };
}

/**
 * `squeue -h -j <id> -o %L`: `[days-]hours:minutes:seconds`, `minutes:seconds`, or words
 * (`UNLIMITED`, `NOT_SET`, `INVALID`). Seconds, or undefined when the job has no limit or the text
 * is not a time.
 */
export function parseSlurmTimeLeft(text: string): number | undefined {
  const match = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, days, first, second, third] = match;
  const parts = [first, second, third].filter((part): part is string => part !== undefined).map(Number);
  // With days, SLURM may print `1-02` (hours) or `1-02:03` (hours:minutes).
  while (days !== undefined && parts.length < 3) parts.push(0);
  const [seconds = 0, minutes = 0, hours = 0] = parts.reverse();
  return Number(days ?? 0) * 86_400 + hours * 3600 + minutes * 60 + seconds;
}

async function slurmTimeLeft(probe: NodeProbe): Promise<number | undefined> {
  const jobId = probe.env.SLURM_JOB_ID;
  if (!jobId) return undefined;
  try {
    return parseSlurmTimeLeft(await probe.run('squeue', ['-h', '-j', jobId, '-o', '%L']));
  } catch {
    return undefined;
  }
}

/** The node's cores, bounded by a cgroup v2 CPU quota (containers such as Fargate set one). */
function nodeCores(probe: NodeProbe): number {
  const [quota, period] = (probe.readFile('/sys/fs/cgroup/cpu.max') ?? '').trim().split(/\s+/);
  const limit = quota && quota !== 'max' && period ? Math.ceil(Number(quota) / Number(period)) : undefined;
  const cores = probe.cpus();
  return limit !== undefined && Number.isFinite(limit) && limit > 0 ? Math.min(cores, limit) : cores;
}

/** The node's memory, bounded by its cgroup (v2, then v1) limit. */
function nodeMemoryMb(probe: NodeProbe): number {
  const total = probe.totalMemoryBytes();
  const limits = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']
    .map((path) => Number((probe.readFile(path) ?? '').trim()))
    .filter((value) => Number.isFinite(value) && value > 0);
  return Math.floor(Math.min(total, ...limits) / mib);
}

function positive(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? number : undefined;
}
