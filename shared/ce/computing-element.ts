/**
 * A computing element (CE): where the site director starts pilots, behind one interface whatever
 * the batch system (DIRAC's `Resources/Computing/ComputingElement.py`). See
 * docs/computing-elements.md.
 *
 * Glossary: a *pilot reference* names one pilot at its CE (`local://host/pid`,
 * `slurm://cluster/jobid`, `awsbatch://region/jobId`); the pilot learns its own reference from
 * `MUON_PILOT_REFERENCE` or from its batch system's environment (`pilotReferenceFromEnvironment`).
 */
import type { PilotStatus } from '#shared/pilots/model.ts';
import type { PilotCredentials } from './credentials.ts';

export const computingElementTypes = ['Local', 'Slurm', 'AwsBatch'] as const;
export type ComputingElementType = (typeof computingElementTypes)[number];

/**
 * What a CE reports for one pilot: DIRAC's pilot statuses. `Unknown` means the CE has no record of
 * the reference (purged, another host, never submitted); the site director aborts pilots that stay
 * Unknown too long.
 */
export type PilotState = PilotStatus | 'Unknown';

/**
 * What to start: the `muon` arguments of the pilot, the environment it needs, and its credentials,
 * which each CE delivers its own way, never in argv or the environment (a payload can read both).
 */
export interface PilotSpec {
  /**
   * Arguments after the `muon` program, e.g. `['pilot', '--api-url', url, '--site', site, '--ce', ce]`.
   * Each CE knows how `muon` is started where its pilots run (its `command` setting, or the image's
   * entry point on AWS Batch) and puts that first.
   */
  readonly arguments: readonly string[];
  /**
   * Extra environment of the pilot, no credential (a CE refuses `MUON_TOKEN` and `MUON_CLIENT_*`
   * here); the CE adds `MUON_PILOT_REFERENCE`.
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The pilot's token or OAuth2 client. Local and Slurm CEs write it to a one-shot 0600 file and
   * pass `--credentials-file`; AwsBatch pilots read theirs from Secrets Manager and refuse it.
   */
  readonly credentials?: PilotCredentials;
}

/** A CE's load, and how many more pilots it may take now. */
export interface Availability {
  readonly running: number;
  readonly waiting: number;
  readonly slots: number;
}

export interface ComputingElement {
  /** The CE's name in the configuration (DIRAC's GridCE). */
  readonly name: string;
  readonly type: ComputingElementType;
  readonly site: string;
  /** Starts `count` pilots; one reference per pilot, in submission order. */
  submitPilots(count: number, spec: PilotSpec): Promise<string[]>;
  /** The state of each reference; references this CE cannot read are `Unknown`. */
  status(references: readonly string[]): Promise<Map<string, PilotState>>;
  /** Asks the batch system to stop the pilots (they get SIGTERM and drain). */
  cancel(references: readonly string[]): Promise<void>;
  /** Running and waiting pilots of this CE, and the free slots (`pilotSlots`). */
  available(): Promise<Availability>;
  /**
   * Tells running pilots that work is waiting, so idle ones ask the matcher at once instead of
   * after their backoff. Only elements that can reach their pilots have it (Local).
   */
  wake?(references: readonly string[]): Promise<void>;
}

/** How many pilots a CE may hold: the configuration's `maxPilots` and `maxWaitingPilots`. */
export interface PilotLimits {
  readonly maxPilots: number;
  readonly maxWaitingPilots: number;
}

/**
 * DIRAC's `ComputingElement.available()`: min(maxWaiting − waiting, maxTotal − (running + waiting)),
 * never below zero.
 */
export function pilotSlots(running: number, waiting: number, limits: PilotLimits): number {
  const slots = Math.min(limits.maxWaitingPilots - waiting, limits.maxPilots - (running + waiting));
  return Math.max(0, slots);
}

export const availability = (running: number, waiting: number, limits: PilotLimits): Availability => ({
  running,
  waiting,
  slots: pilotSlots(running, waiting, limits),
});

/** The same state for every reference: what a CE answers for references it cannot read. */
export const unknownStates = (references: readonly string[]): Map<string, PilotState> =>
  new Map(references.map((reference) => [reference, 'Unknown' as const]));
