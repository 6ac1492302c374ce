/**
 * The sandbox store's messages and records. Wire names follow DiracX (`SandboxInfo`,
 * `SandboxUploadResponse`, `SandboxDownloadResponse`); stored records follow DIRAC's
 * `sb_SandBoxes` and `sb_EntityMapping` tables.
 */
import { z } from 'zod';
import { checksumAlgorithm, type SandboxOwner, sandboxFormat } from '#shared/sandboxes/reference.ts';

/** `POST /api/jobs/sandbox`: what the client is about to upload (DiracX's `SandboxInfo`). */
export const sandboxInfoSchema = z.object({
  checksum_algorithm: z.literal(checksumAlgorithm),
  /** sha256 of the tar.gz bytes; stored lower case, as the key is content-addressed. */
  checksum: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'a sha256 is 64 hexadecimal digits')
    .transform((hex) => hex.toLowerCase()),
  size: z.number().int().min(1),
  format: z.literal(sandboxFormat),
});
export type SandboxInfo = z.infer<typeof sandboxInfoSchema>;

/**
 * The answer to an upload request: the reference alone when the owner already has this content,
 * otherwise also where to PUT it and the headers S3 will check (length and sha256 are signed).
 * `fields` stays empty: it is DiracX's presigned-POST form, kept for client compatibility.
 */
export type SandboxUploadResponse =
  | { readonly pfn: string }
  | {
      readonly pfn: string;
      readonly url: string;
      readonly fields: Record<string, never>;
      readonly method: 'PUT';
      readonly headers: Readonly<Record<string, string>>;
    };

export interface SandboxDownloadResponse {
  readonly url: string;
  readonly expires_in: number;
}

export const sandboxKinds = ['Input', 'Output'] as const;
export type SandboxKind = (typeof sandboxKinds)[number];

export type JobSandboxes = Record<SandboxKind, string[]>;

/** One sandbox's metadata (DIRAC's `sb_SandBoxes` row with its `sb_Owners` row folded in). */
export interface SandboxRecord {
  readonly reference: string;
  readonly key: string;
  readonly seName: string;
  readonly owner: SandboxOwner;
  readonly size: number;
  readonly checksumAlgorithm: string;
  readonly checksum: string;
  readonly format: string;
  readonly registrationTime: string;
  readonly lastAccessTime: string;
  /** The object was seen in the bucket at least once (a registration precedes its upload). */
  readonly uploaded: boolean;
  /** It was assigned to a job at least once (DIRAC's `Assigned`). */
  readonly assigned: boolean;
}

/** A sandbox assigned to a job (DIRAC's `sb_EntityMapping` row; the entity is `Job:<id>`). */
export interface SandboxAssignment {
  readonly jobId: number;
  readonly kind: SandboxKind;
  readonly reference: string;
  readonly key: string;
  readonly assignedAt: string;
}
