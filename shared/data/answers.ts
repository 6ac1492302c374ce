/**
 * What the data manager's routes answer, as schemas (DIRAC's DataManager and FileCatalog results;
 * the types are in shared/data/model.ts). The OpenAPI document (shared/http/openapi-data.ts)
 * describes them from here.
 */
import { z } from 'zod';

const metaValue = z.union([z.number(), z.string()]);
const metadata = z.record(z.string(), metaValue);

/** Where to write a file of a storage element: a presigned PUT (S3) or a path (a file SE). */
export const uploadTargetSchema = z.discriminatedUnion('backend', [
  z.object({
    backend: z.literal('s3'),
    url: z.string(),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()),
    pfn: z.string(),
  }),
  z.object({ backend: z.literal('file'), path: z.string(), pfn: z.string() }),
]);

export const replicasAnswerSchema = z.object({
  LFN: z.string(),
  Replicas: z.array(
    z.object({
      SE: z.string(),
      PFN: z.string(),
      Size: z.number().nullable(),
      Checksum: z.string().nullable(),
    }),
  ),
});

const checksum = { checksum: z.string().optional() };
/** Where to read a replica from: a presigned GET (S3) or a path (a file SE). */
export const downloadSourceSchema = z.discriminatedUnion('backend', [
  z.object({ backend: z.literal('s3'), url: z.string(), expires_in: z.number(), ...checksum }),
  z.object({ backend: z.literal('file'), path: z.string(), ...checksum }),
]);

export const listAnswerSchema = z.object({
  Directories: z.array(z.string()),
  Files: z.array(z.object({ LFN: z.string(), SE: z.string(), Size: z.number().nullable() })),
  next: z.string().optional().meta({ description: 'Pass back as `next` for the following page.' }),
});

const entry = { Path: z.string(), Kind: z.enum(['file', 'directory']), Metadata: metadata };
/** A file's or directory's own metadata, after a change. */
export const metadataEntrySchema = z.object(entry);
/** A file's or directory's metadata, with what it inherits from its directories and the fields' types. */
export const metadataViewSchema = z.object({
  ...entry,
  Inherited: z.record(z.string(), z.object({ value: metaValue, from: z.string() })),
  Types: z.record(z.string(), z.enum(['integer', 'float', 'string', 'date'])),
});

export const findAnswerSchema = z.object({
  LFNs: z.array(z.string()),
  next: z.string().optional().meta({ description: 'Pass back as `next` for the following page.' }),
});

export const removeAnswerSchema = z.object({
  LFN: z.string(),
  Removed: z.array(z.object({ SE: z.string(), PFN: z.string(), Deleted: z.boolean() })),
  FileRemoved: z
    .boolean()
    .meta({ description: 'Whether the file has no replica left and left the catalog.' }),
});
