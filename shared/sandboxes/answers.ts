/**
 * What the sandbox store's routes answer, as schemas (DiracX's `SandboxUploadResponse`,
 * `SandboxDownloadResponse`; the types are in shared/sandboxes/model.ts). The OpenAPI document
 * (shared/http/openapi-jobs.ts) describes them from here.
 */
import { z } from 'zod';

/** The reference alone when the owner already has this content, else also where to PUT it. */
export const sandboxUploadAnswerSchema = z.union([
  z.object({
    pfn: z.string(),
    url: z.string(),
    fields: z
      .record(z.string(), z.never())
      .meta({ description: "Always empty (DiracX's presigned-POST form)." }),
    method: z.literal('PUT'),
    headers: z
      .record(z.string(), z.string())
      .meta({ description: 'Headers to send with the PUT; S3 checks them.' }),
  }),
  z.object({ pfn: z.string().meta({ description: 'The sandbox reference (SB:...).' }) }),
]);

export const sandboxDownloadAnswerSchema = z.object({
  url: z.string().meta({ description: 'A presigned GET of the tar.gz.' }),
  expires_in: z.number().meta({ description: 'Seconds the URL stays valid.' }),
});

export const jobSandboxesAnswerSchema = z.object({
  Input: z.array(z.string()),
  Output: z.array(z.string()),
});
