/**
 * The pilot's job slots: a multi-core pilot fills its cores with single- and multi-core jobs. It asks
 * the matcher with NumberOfProcessors = its free cores; a matched job takes its minimum processors
 * (more when its maximum allows, all the free ones for -1 or a whole-node job) and the rest stay
 * free for the next request (DIRAC's PoolComputingElement).
 */
import type { MatchedJob, ResourceRequest } from '#pilot/api.ts';

export interface Slots {
  readonly total: number;
  readonly free: number;
  /** Memory (MB) not reserved by running jobs that declared theirs. */
  readonly freeMemoryMb: number;
  readonly running: number;
  take(jobId: number, processors: number, memoryMb?: number): void;
  release(jobId: number): void;
}

export function createSlots(total: number, memoryMb: number): Slots {
  const taken = new Map<number, { processors: number; memoryMb: number }>();
  let used = 0;
  let reservedMb = 0;
  return {
    total,
    get free() {
      return total - used;
    },
    get freeMemoryMb() {
      return Math.max(0, memoryMb - reservedMb);
    },
    get running() {
      return taken.size;
    },
    take(jobId, processors, memory = 0) {
      if (taken.has(jobId)) throw new Error(`job ${jobId} already holds a slot`);
      if (processors < 1 || processors > total - used) {
        throw new Error(`job ${jobId} asks for ${processors} cores; ${total - used} are free`);
      }
      taken.set(jobId, { processors, memoryMb: memory });
      used += processors;
      reservedMb += memory;
    },
    release(jobId) {
      const slot = taken.get(jobId);
      if (!slot) return;
      taken.delete(jobId);
      used -= slot.processors;
      reservedMb -= slot.memoryMb;
    },
  };
}

/**
 * The cores a matched job gets out of `free`: its minProcessors; up to maxProcessors when given
 * (-1: every free core); every core for a whole-node job. Undefined when it does not fit.
 */
export function processorsFor(
  description: Pick<MatchedJob['Description'], 'minProcessors' | 'maxProcessors' | 'wholeNode'>,
  free: number,
  total = free,
): number | undefined {
  if (description.wholeNode) return free === total && free > 0 ? free : undefined;
  const min = Math.max(1, description.minProcessors ?? 1);
  if (min > free) return undefined;
  const max = description.maxProcessors;
  if (max === undefined) return min;
  if (max === -1) return free;
  return Math.max(min, Math.min(max, free));
}

/** Normalised CPU seconds offered when nothing bounds the pilot's time (10 years). */
export const unlimitedSeconds = 10 * 365 * 86_400;

export interface RequestInputs {
  readonly site: string;
  readonly gridCE: string;
  readonly pilotReference: string;
  readonly slots: Slots;
  /** Seconds the pilot may still run; undefined when unlimited. */
  readonly timeLeftSeconds: number | undefined;
  readonly cpuNormalizationFactor: number;
  readonly tags?: readonly string[];
  readonly platform?: string;
  /** Whether a whole-node job fits; default: when no job runs. */
  readonly wholeNode?: boolean;
}

/**
 * What the pilot asks the matcher for: its free cores and memory, and the CPU work they can do in
 * the time left (time left x CPU normalisation factor x free cores). A whole-node job is only
 * offered an empty pilot.
 */
export function matcherRequest(inputs: RequestInputs): ResourceRequest {
  const { slots } = inputs;
  const seconds = inputs.timeLeftSeconds ?? unlimitedSeconds;
  return {
    Site: inputs.site,
    GridCE: inputs.gridCE,
    PilotReference: inputs.pilotReference,
    NumberOfProcessors: slots.free,
    CPUTime: Math.floor(seconds * inputs.cpuNormalizationFactor * slots.free),
    ...(slots.freeMemoryMb > 0 ? { MaxRAM: slots.freeMemoryMb } : {}),
    ...((inputs.wholeNode ?? slots.running === 0) ? { WholeNode: true } : {}),
    ...(inputs.tags && inputs.tags.length > 0 ? { Tag: inputs.tags } : {}),
    ...(inputs.platform ? { Platform: inputs.platform } : {}),
  };
}
