/**
 * A push pilot's capacity: the HPC's `nodes × coresPerNode` cores, at most `maxJobs` payloads in
 * flight. It is seen through the pull pilot's `Slots`, so the pilot's job agent fills it: `free`
 * is what one more job may take (never more than one node, since a payload is one batch job on one
 * node) and `total` is a node, so a whole-node job waits for a whole node's cores. Slurm decides
 * which node runs what; this only bounds what the pilot hands it.
 */
import type { ResourceRequest } from '#pilot/api.ts';
import { createSlots, matcherRequest, type RequestInputs, type Slots } from '#pilot/slots.ts';

export interface Capacity {
  readonly nodes: number;
  readonly coresPerNode: number;
  readonly maxJobs: number;
}

export function createPushSlots(capacity: Capacity, memoryMbPerNode?: number): Slots {
  const pool = createSlots(capacity.nodes * capacity.coresPerNode, 0);
  const free = () => (pool.running >= capacity.maxJobs ? 0 : Math.min(pool.free, capacity.coresPerNode));
  return {
    total: capacity.coresPerNode,
    get free() {
      return free();
    },
    get freeMemoryMb() {
      return memoryMbPerNode ?? 0;
    },
    get running() {
      return pool.running;
    },
    take(jobId, processors) {
      if (processors > free())
        throw new Error(`job ${jobId} asks for ${processors} cores; ${free()} are free`);
      pool.take(jobId, processors);
    },
    release: (jobId) => pool.release(jobId),
  };
}

export interface PushRequestInputs extends Omit<RequestInputs, 'timeLeftSeconds' | 'wholeNode'> {
  /** Each payload's longest run (the partition's limit); undefined when unlimited. */
  readonly timeLimitMinutes: number | undefined;
}

/**
 * One matcher request for one more payload (`slots` from `createPushSlots`): the cores one node can
 * still give it, the CPU work those cores do within the partition's time limit, a node's memory,
 * and WholeNode when a node's worth of cores is free.
 */
export function pushRequest(inputs: PushRequestInputs): ResourceRequest {
  const { timeLimitMinutes, ...request } = inputs;
  return matcherRequest({
    ...request,
    timeLeftSeconds: timeLimitMinutes === undefined ? undefined : timeLimitMinutes * 60,
    wholeNode: inputs.slots.free === inputs.slots.total,
  });
}
