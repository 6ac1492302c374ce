/**
 * The data manager's messages (docs/pilots.md, API, Data): upload targets, replica
 * registration, replicas, downloads and directory listings. Wire names are DIRAC's (LFN, SE, PFN).
 *
 * Glossary: an *LFN* names a file VO-wide; a *replica* is one copy of it at a storage element
 * (*SE*), found there by its *PFN* (an S3 key or an absolute path).
 */
import { z } from 'zod';
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
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

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
  readonly Files: readonly { readonly LFN: string; readonly SE: string; readonly Size: number | null }[];
  /** Present when there is more: pass it back as `next` for the following page. */
  readonly next?: string;
}

/** Entries in one page of a listing. */
export const listPageSize = 1000;
