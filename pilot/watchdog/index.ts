/**
 * The watchdog: one shared process sampler per pilot (one scan of /proc per tick for every
 * payload) and one watchdog per job, which checks DIRAC's limits and gives the heartbeat figures.
 */
export { tailLines } from './peek.ts';
export { type ProcStat, parseStat, readProcessTable } from './proc.ts';
export {
  acquireSharedSampler,
  createProcessSampler,
  type ProcessSampler,
  type ProcessSamplerOptions,
  type SamplerClient,
  type TreeSample,
} from './sampler.ts';
export {
  cpuLimitSeconds,
  startWatchdog,
  type Watchdog,
  type WatchdogLimits,
  type WatchdogOptions,
} from './watchdog.ts';
