/**
 * The data manager's messages (docs/pilots.md, API, Data): upload targets, replica
 * registration, replicas, downloads and directory listings. Wire names are DIRAC's (LFN, SE, PFN).
 *
 * Glossary: an *LFN* names a file VO-wide; a *replica* is one copy of it at a storage element
 * (*SE*), found there by its *PFN* (an S3 key or an absolute path).
 */
import { z } from 'zod';
import { metaKeySchema, metaQuerySchema, metaTypes } from '#shared/catalog/query.ts';
import { lfnProblem } from '#shared/data/lfn.ts';

/** S3 takes at most 5 GiB in one PUT. */
export const maxUploadBytes = 5 * 1024 ** 3;

export const lfnSchema = z.string().superRefine((text, ctx) => {
  const problem = lfnProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const seName = z.string().min(1).max(256);
const size = z.number().int().min(0).max(maxUploadBytes, 'one upload holds at most 5 GiB');
const jobId = z.number().int().positive();

/** `POST /api/data/upload`: where may this file go. */
export const uploadRequestSchema = z.strictObject({
  LFN: lfnSchema,
  SE: seName,
  Size: size,
  JobID: jobId.optional(),
});
export type UploadRequest = z.infer<typeof uploadRequestSchema>;

/** `POST /api/data/register`: the file is on the SE; record the replica. */
export const registerRequestSchema = z.strictObject({
  LFN: lfnSchema,
  SE: seName,
  PFN: z.string().min(1).max(2048),
  Size: size,
  /** `<algorithm>:<hex>`, as the job wrapper computes it (`adler32:0a1b2c3d`). */
  Checksum: z
    .string()
    .regex(/^[A-Za-z0-9-]+:[0-9A-Fa-f]+$/, 'write <algorithm>:<hex>, e.g. adler32:0a1b2c3d'),
  JobID: jobId.optional(),
  /** Metadata of the file, set with the registration (a job's `output_metadata`). */
  Metadata: z.lazy(() => metadataSchema).optional(),
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

/** `{key: value}`: integers, floats, strings, dates (ISO-8601 strings). */
export const metadataSchema = z
  .record(metaKeySchema, z.union([z.number().finite(), z.string().min(1).max(256)]))
  .refine((meta) => Object.keys(meta).length <= 50, 'set at most 50 keys at once');

/** `POST /api/data/metadata`: set metadata on a file or directory. */
export const setMetadataRequestSchema = z.strictObject({
  Path: lfnSchema,
  Metadata: metadataSchema.refine((meta) => Object.keys(meta).length > 0, 'give at least one key'),
  /** Types of keys new to the VO; by default a key takes the type its first value reads as. */
  Types: z.record(metaKeySchema, z.enum(metaTypes)).optional(),
  JobID: jobId.optional(),
});
export type SetMetadataRequest = z.infer<typeof setMetadataRequestSchema>;
export const metadataQuerySchema = z.object({ path: lfnSchema });

/** `POST /api/data/find`: the text form (`run=1..5 type=RAW`) or the JSON form of a query. */
export const findRequestSchema = z.strictObject({
  Query: z.union([z.string().min(1).max(65_536), metaQuerySchema]),
  /** Only files under this directory. */
  Path: lfnSchema.optional(),
  Limit: z.number().int().min(1).max(10_000).optional(),
  Next: z.string().min(1).max(65_536).optional(),
});
export type FindRequest = z.infer<typeof findRequestSchema>;
export interface FindResponse {
  readonly LFNs: readonly string[];
  readonly next?: string;
}

/** `POST /api/data/remove`: the replica on SE, or every replica; the file goes with the last. */
export const removeRequestSchema = z.strictObject({ LFN: lfnSchema, SE: seName.optional() });
export interface RemoveResponse {
  readonly LFN: string;
  readonly Removed: readonly { readonly SE: string; readonly PFN: string; readonly Deleted: boolean }[];
  /** Whether the file left the catalog (its last replica went). */
  readonly FileRemoved: boolean;
}

export const replicasQuerySchema = z.object({ lfn: lfnSchema });
export const downloadQuerySchema = z.object({ lfn: lfnSchema, se: seName.optional() });
export const listQuerySchema = z.object({
  path: z.string().min(1).max(1024),
  /** The `next` of the previous page. */
  next: z.string().min(1).max(4096).optional(),
});

export type UploadTarget =
  | {
      readonly backend: 's3';
      readonly url: string;
      readonly method: 'PUT';
      readonly headers: Readonly<Record<string, string>>;
      readonly pfn: string;
    }
  | { readonly backend: 'file'; readonly path: string; readonly pfn: string };

export type DownloadSource = (
  | { readonly backend: 's3'; readonly url: string; readonly expires_in: number }
  | { readonly backend: 'file'; readonly path: string }
) & {
  /** The catalog's checksum of the replica (`adler32:0a1b2c3d`), for the downloader to verify. */
  readonly checksum?: string;
};

export interface ReplicaView {
  readonly SE: string;
  readonly PFN: string;
  readonly Size: number | null;
  readonly Checksum: string | null;
}

export interface ReplicasResponse {
  readonly LFN: string;
  readonly Replicas: readonly ReplicaView[];
}

export interface ListResponse {
  /** The subdirectories, as paths. */
  readonly Directories: readonly string[];
  /** One row per replica of each file. */
  readonly Files: readonly { readonly LFN: string; readonly SE: string; readonly Size: number | null }[];
  /** Present when there is more: pass it back as `next` for the following page. */
  readonly next?: string;
}

/** Entries in one page of a listing. */
export const listPageSize = 1000;
