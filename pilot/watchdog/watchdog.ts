/**
 * The watchdog of one job (DIRAC's Watchdog). It starts with the job wrapper, so input downloads
 * count toward the wall clock, and follows the payload's process tree once the payload runs. At
 * every tick of the pilot's sampler it checks, in DIRAC's order: wall clock, free disk of the job
 * directory, stalled (CPU/wall over the last window below the ratio), CPU limit. The first limit
 * crossed calls `onLimit` once with DIRAC's minor status; the job wrapper then kills the payload.
 * It also gives the figures of the heartbeat (DiracX's HeartbeatData). For a payload that runs on
 * another machine (push mode) only the wall clock is checked, as DIRAC's CE.RemoteExecution turns
 * the watchdog's other checks off; Kill commands still stop it.
 */
import { statfs } from 'node:fs/promises';
import { loadavg } from 'node:os';
import type { HeartbeatData } from '#pilot/api.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { tailLines } from './peek.ts';
import type { ProcessSampler } from './sampler.ts';

export type WatchdogLimits = MuonConfig['pilot']['watchdog'];

export interface WatchdogOptions {
  readonly limits: WatchdogLimits;
  /** CPU seconds the payload may use (see `cpuLimitSeconds`). */
  readonly cpuLimitSeconds: number;
  /** The job directory: its file system's free space is checked. */
  readonly workDir: string;
  /** The payload's standard output file, peeked for the heartbeat. */
  readonly stdout: string;
  readonly peekLines: number;
  readonly sampler: ProcessSampler;
  /** The payload runs elsewhere: no disk, stall or CPU checks, and no process figures. */
  readonly remote?: boolean;
  readonly onLimit: (minorStatus: string, message: string) => void;
  readonly now?: () => number;
}

export interface Watchdog {
  /** Follows the payload's process tree (its pid leads its process group). */
  attach(pid: number): void;
  /** The payload ended: its figures stay as last sampled. */
  detach(): void;
  heartbeat(): HeartbeatData;
  /** The processes of the payload's tree at the last sample (to signal those that left its group). */
  treePids(): readonly number[];
  usage(): { readonly cpuSeconds: number; readonly wallClockSeconds: number };
  stop(): void;
}

/** DIRAC's CPU limit: the job's normalised CPUTime in this pilot's seconds, plus the margin. */
export const cpuLimitSeconds = (cpuTime: number, normalizationFactor: number, margin: number): number =>
  (cpuTime / normalizationFactor) * (1 + margin);

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const round2 = (value: number) => Math.round(value * 100) / 100;

export function startWatchdog(options: WatchdogOptions): Watchdog {
  const now = options.now ?? Date.now;
  const { limits } = options;
  const startedAt = now();
  /** (time, CPU) points since the payload started, for the stall check. */
  let history: { at: number; cpu: number }[] = [];
  let attached = false;
  let fired = false;
  let stopped = false;
  let diskMb: number | undefined;

  const client = options.sampler.register(() => check());
  const cpuSeconds = () => client.sample?.cpuSeconds ?? 0;
  const wallClockSeconds = () => (now() - startedAt) / 1000;

  const fire = (minor: string, message: string) => {
    fired = true;
    options.onLimit(minor, message);
  };

  async function check(): Promise<void> {
    if (fired || stopped) return;
    const sample = client.sample;
    const last = history.at(-1);
    if (attached && sample && (!last || sample.at > last.at)) {
      history.push({ at: sample.at, cpu: sample.cpuSeconds });
    }
    if (!options.remote) diskMb = await freeDiskMb(options.workDir);
    if (fired || stopped) return;
    const wall = wallClockSeconds();
    if (wall > limits.maxWallClockSeconds) {
      return fire(
        minorStatus.exceededWallClockTime,
        `wall clock ${Math.round(wall)} s > ${limits.maxWallClockSeconds} s`,
      );
    }
    if (options.remote) return;
    if (diskMb !== undefined && diskMb < limits.minDiskSpaceMb) {
      return fire(minorStatus.insufficientDiskSpace, `${diskMb} MB free < ${limits.minDiskSpaceMb} MB`);
    }
    const ratio = stallRatio(now());
    if (ratio !== undefined && ratio < limits.minCpuWallRatio) {
      return fire(
        minorStatus.watchdogStalled,
        `CPU/wall ${round2(ratio)} < ${limits.minCpuWallRatio} over ${limits.stalledWindowSeconds} s`,
      );
    }
    if (cpuSeconds() > options.cpuLimitSeconds) {
      return fire(
        minorStatus.exceededCpuTimeLimit,
        `CPU ${round2(cpuSeconds())} s > ${round2(options.cpuLimitSeconds)} s`,
      );
    }
  }

  /** CPU/wall over the last window, once the job has run a window's length and the payload one too. */
  function stallRatio(at: number): number | undefined {
    const windowMs = limits.stalledWindowSeconds * 1000;
    if (at - startedAt < windowMs) return undefined;
    const base = history.findLast((point) => at - point.at >= windowMs);
    const latest = history.at(-1);
    if (!base || !latest || latest.at <= base.at) return undefined;
    history = history.slice(history.indexOf(base));
    return (latest.cpu - base.cpu) / ((latest.at - base.at) / 1000);
  }

  void check();

  return {
    attach(pid) {
      attached = true;
      history = [{ at: now(), cpu: 0 }];
      client.follow(pid);
    },
    detach() {
      attached = false;
      client.unfollow();
    },
    heartbeat() {
      if (options.remote) {
        return {
          WallClockTime: Math.round(wallClockSeconds()),
          StandardOutput: tailLines(options.stdout, options.peekLines),
        };
      }
      const sample = client.sample;
      return {
        LoadAverage: round2(loadavg()[0] ?? 0),
        MemoryUsed: mb(sample?.rssBytes ?? 0),
        Vsize: mb(sample?.vsizeBytes ?? 0),
        ...(diskMb !== undefined ? { AvailableDiskSpace: diskMb } : {}),
        CPUConsumed: round2(cpuSeconds()),
        WallClockTime: Math.round(wallClockSeconds()),
        StandardOutput: tailLines(options.stdout, options.peekLines),
      };
    },
    treePids: () => client.sample?.pids ?? [],
    usage: () => ({ cpuSeconds: round2(cpuSeconds()), wallClockSeconds: round2(wallClockSeconds()) }),
    stop() {
      stopped = true;
      client.close();
    },
  };
}

async function freeDiskMb(path: string): Promise<number | undefined> {
  try {
    const stats = await statfs(path);
    return Math.floor((stats.bavail * stats.bsize) / 1024 / 1024);
  } catch {
    return undefined;
  }
}
