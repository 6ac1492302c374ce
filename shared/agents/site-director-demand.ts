/**
 * The site director's arithmetic, as pure functions (DIRAC's `SiteDirector._getNumberOfJobsNeedingPilots`
 * and `_submitPilotsPerQueue`): what an element offers, how many waiting jobs it could take, and how
 * many pilots to submit to it now.
 */
import type { ComputingElementConfig } from '#shared/ce/index.ts';
import { matchTaskQueue } from '#shared/matcher/predicate.ts';
import { normalise, type ResourceDescription } from '#shared/matcher/resource-description.ts';
import type { TaskQueueDefinition } from '#shared/taskqueues/definition.ts';

/** CPU seconds per processor a pilot offers when its element does not say (a pilot without a time limit). */
const generousCpuTimeSeconds = 10 * 365 * 86_400;

/**
 * What a pilot of this element offers the matcher, built as the matcher builds it from a pilot's
 * request (an empty pilot: every processor free), so that demand and matches agree.
 */
export function elementResourceDescription(
  site: string,
  name: string,
  ce: ComputingElementConfig,
): ResourceDescription {
  return normalise({
    Site: site,
    GridCE: name,
    Sites: [site],
    GridCEs: [name],
    CPUTime: ce.cpuTimeSeconds ?? generousCpuTimeSeconds * ce.processors,
    NumberOfProcessors: ce.processors,
    ...(ce.memoryMb !== undefined ? { MaxRAM: ce.memoryMb } : {}),
    WholeNode: true,
    ...(ce.tags.length > 0 ? { Tag: [...ce.tags] } : {}),
    ...(ce.platform !== undefined ? { Platform: ce.platform } : {}),
  });
}

export interface CountedTaskQueue {
  readonly definition: TaskQueueDefinition;
  /** Waiting jobs in it. */
  readonly jobs: number;
}

/**
 * Waiting jobs of `vo` that a pilot of the element could be given, less the pilots already
 * waiting there, never below zero. A banned site's pilots only get Test jobs, as in the matcher.
 */
export function jobsNeedingPilots(
  queues: readonly CountedTaskQueue[],
  resource: ResourceDescription,
  vo: string,
  waitingPilots: number,
  banned = false,
): number {
  const offered = banned ? { ...resource, jobTypes: ['Test'] } : resource;
  let jobs = 0;
  for (const tq of queues) {
    if (tq.definition.vo !== vo) continue;
    if (matchTaskQueue(tq.definition, offered).match) jobs += tq.jobs;
  }
  return Math.max(0, jobs - waitingPilots);
}

export interface SubmissionInputs {
  /** Free slots the element reports (`ce.available().slots`). */
  readonly slots: number;
  /** `jobsNeedingPilots`. */
  readonly demand: number;
  /** The element's pilots still Submitted or Waiting. */
  readonly waitingPilots: number;
  readonly maxPilots: number;
  readonly maxPilotsPerCycle: number;
  readonly availabilityEpsilon: number;
}

/**
 * Pilots to submit now: none while the element's waiting pilots fill `availabilityEpsilon` of its
 * `maxPilots` (DIRAC's availability criterion), otherwise min(per cycle, slots, demand).
 */
export function pilotsToSubmit(inputs: SubmissionInputs): number {
  if (inputs.maxPilots <= 0) return 0;
  if (inputs.waitingPilots / inputs.maxPilots >= inputs.availabilityEpsilon) return 0;
  return Math.max(0, Math.min(inputs.maxPilotsPerCycle, inputs.slots, inputs.demand));
}
