/**
 * What the pilot routes answer, one schema per message and its type (DIRAC's PilotManager,
 * DiracX's pilots router). The OpenAPI document (shared/http/openapi-pilots.ts) describes them
 * from here.
 */
import { z } from 'zod';
import { pilotStatuses } from '#shared/pilots/model.ts';

/** A registered pilot's credential: its reference, stamp and the secret it sends with each call. */
export const registrationAnswerSchema = z.object({
  PilotReference: z.string(),
  PilotStamp: z.string(),
  Secret: z.string().meta({ description: 'Sent back in X-Muon-Pilot-Secret; shown only here.' }),
});

const optionalNumber = z.number().optional();

/** `GET /api/pilots/info`: the pilot record (a user sees only their own jobs of it). */
export const pilotInfoSchema = z.object({
  pilotReference: z.string(),
  pilotStamp: z.string(),
  vo: z.string(),
  site: z.string(),
  gridCE: z.string(),
  ceType: z.string(),
  queue: z.string().optional(),
  batchJobId: z.string().optional(),
  version: z.string(),
  status: z.enum(pilotStatuses),
  statusReason: z.string(),
  resources: z.object({
    cores: optionalNumber,
    memoryMb: optionalNumber,
    diskMb: optionalNumber,
    wallClockSeconds: optionalNumber,
  }),
  submittedAt: z.string().optional(),
  registeredAt: z.string(),
  lastSeenAt: z.string(),
  updatedAt: z.string(),
  jobIds: z.array(z.number().int()),
  owners: z.array(z.string()),
  logKey: z.string().optional(),
});
export type PilotInfo = z.infer<typeof pilotInfoSchema>;

/** Where a pilot puts its log: a presigned PUT. */
export const logUploadAnswerSchema = z.object({
  url: z.string(),
  method: z.literal('PUT'),
  headers: z.record(z.string(), z.string()),
});

/** Where a pilot's log is read: a presigned GET. */
export const logDownloadAnswerSchema = z.object({ url: z.string(), expires_in: z.number() });

/** A pilot search row: the requested pilot columns (all by default). */
export const pilotSearchAnswerSchema = z.array(z.record(z.string(), z.union([z.string(), z.number()])));
/** A pilot summary row: the grouped columns' values and how many pilots have them. */
export const pilotSummaryAnswerSchema = z.array(
  z.looseObject({ count: z.number().int().min(0) }).meta({ description: 'The grouped columns and `count`.' }),
);
