/**
 * The pilot model (DIRAC's PilotAgentsDB, DiracX's pilots router): what a pilot sends when it
 * registers or reports its status, and the record the pilots table keeps (docs/pilots.md, API).
 *
 * Glossary: a *pilot* is the process a computing element starts on a worker node; it asks the
 * matcher for jobs and runs them with job wrappers. Its *reference* names it (the batch system's
 * id, or one muon makes up), its *stamp* is a random id of the registration, and its *secret* is
 * the credential its later calls carry (`X-Muon-Pilot-Secret`); only the secret's sha256 is kept.
 */
import { z } from 'zod';

export const pilotStatuses = ['Submitted', 'Waiting', 'Running', 'Done', 'Failed', 'Aborted'] as const;
export type PilotStatus = (typeof pilotStatuses)[number];
/** A pilot in one of these has stopped: its credential no longer works. */
export const endedStatuses: ReadonlySet<PilotStatus> = new Set(['Done', 'Failed', 'Aborted']);

/** The longest reference, site or CE name a pilot may send. */
export const maxNameLength = 256;
const name = z.string().min(1).max(maxNameLength);
const amount = z.number().nonnegative();

/** `POST /api/pilots`. */
export const registrationSchema = z.strictObject({
  PilotReference: name.optional(),
  Site: name,
  GridCE: name,
  CEType: name.optional(),
  Queue: name.optional(),
  /** The batch system's id of the pilot's job. */
  BatchJobID: name.optional(),
  Resources: z
    .strictObject({
      Cores: z.number().int().nonnegative().optional(),
      MemoryMB: amount.optional(),
      DiskMB: amount.optional(),
      WallClockSeconds: amount.optional(),
    })
    .default({}),
  Version: z.string().max(64).optional(),
});
export type Registration = z.infer<typeof registrationSchema>;

/** `201` to `POST /api/pilots`: the secret is shown once, here. */
export interface RegistrationAnswer {
  readonly PilotReference: string;
  readonly PilotStamp: string;
  readonly Secret: string;
}

/** `PATCH /api/pilots/metadata`. */
export const metadataSchema = z.strictObject({
  PilotReference: name,
  Status: z.enum(pilotStatuses),
  StatusReason: z.string().max(1024).optional(),
});
export type MetadataUpdate = z.infer<typeof metadataSchema>;

/** `?reference=` of the routes that read one pilot. */
export const referenceQuerySchema = z.object({ reference: name });

export interface PilotResources {
  readonly cores?: number;
  readonly memoryMb?: number;
  readonly diskMb?: number;
  readonly wallClockSeconds?: number;
}

export interface PilotRecord {
  readonly pilotReference: string;
  readonly pilotStamp: string;
  readonly vo: string;
  readonly site: string;
  readonly gridCE: string;
  readonly ceType: string;
  readonly queue?: string;
  readonly batchJobId?: string;
  readonly resources: PilotResources;
  readonly version: string;
  readonly status: PilotStatus;
  readonly statusReason: string;
  /** Set by a site director that created the record before the pilot started. */
  readonly submittedAt?: string;
  readonly registeredAt: string;
  readonly updatedAt: string;
  readonly lastSeenAt: string;
  /** sha256 (hex) of the secret the pilot was given when it registered. */
  readonly secretHash: string;
  /** Every job the matcher handed to the pilot. */
  readonly jobIds: readonly number[];
  /** `<vo>/<owner>` of those jobs: the users who may read the pilot's log. */
  readonly owners: readonly string[];
  /** The pilot's log in the bucket, once it asked to upload one. */
  readonly logKey?: string;
}

/** What `GET /api/pilots/info` shows: the record without its secret's hash. */
export type PilotView = Omit<PilotRecord, 'secretHash'>;

export const pilotView = ({ secretHash: _secret, ...view }: PilotRecord): PilotView => view;
