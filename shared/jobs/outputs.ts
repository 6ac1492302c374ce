/**
 * A job's outputs as its job wrapper reports them (docs/pilots.md, Outputs): the CWL
 * output object with its locations rewritten to `sandbox:` and `lfn:`, the output data uploaded,
 * the output sandbox, and the files the job should have produced but did not. The job's wrapper
 * writes them with the job's payload token; the owner and administrators read them.
 */
import { z } from 'zod';
import type { Identity } from '#shared/auth/identity.ts';
import { lfnSchema } from '#shared/data/model.ts';
import { BadRequestError, ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { mayAccess } from '#shared/jobs/access.ts';
import { assertPayloadHolding, payloadHoldingError } from '#shared/jobs/holding.ts';
import type { JobRepository } from '#shared/jobs/repository.ts';
import { parseJson, stringifyJson } from '#shared/json.ts';

/** The largest outputs document, as JSON: it lives on the job's item, which holds at most 400 KB. */
export const maxOutputsBytes = 100 * 1024;

const outputDataSchema = z.strictObject({
  LFN: lfnSchema,
  SE: z.string().min(1),
  Size: z.number().int().min(0),
  Checksum: z.string().min(1),
});

export const jobOutputsSchema = z.strictObject({
  CWLOutput: z.record(z.string(), z.unknown()).optional(),
  OutputData: z.array(outputDataSchema).optional(),
  OutputSandbox: z.string().min(1).optional(),
  MissingFiles: z.array(z.string()).optional(),
});
export type JobOutputs = z.infer<typeof jobOutputsSchema>;

type Refusal = NotFoundError | ForbiddenError;

export function createJobOutputs(jobs: JobRepository) {
  const missing = (jobId: number) => new NotFoundError(`Job ${jobId} does not exist.`, 'job.not_found');

  return {
    /**
     * `PUT /api/jobs/{jobId}/outputs`: replaces what was reported before. The payload token's
     * holding is checked on the job as read for the write (the route's `payloadHolding: 'route'`),
     * and the write holds only on that version of the job.
     */
    async put(identity: Identity, jobId: number, outputs: JobOutputs): Promise<void> {
      const text = stringifyJson(outputs);
      const size = Buffer.byteLength(text);
      if (size > maxOutputsBytes) {
        throw new BadRequestError(
          `The outputs are ${size} bytes of JSON; at most ${maxOutputsBytes} are kept: put large listings in the output sandbox.`,
          { code: 'job.outputs_too_big' },
        );
      }
      const outcome = await jobs.mutate<Refusal | undefined>(jobId, (job) => {
        const stale = payloadHoldingError(identity, jobId, job);
        if (stale) return { refuse: stale };
        if (job.vo !== identity.vo) return { refuse: missing(jobId) };
        // Only the job's own wrapper, with its payload token, reports what the job produced.
        if (identity.jobId === undefined || !mayAccess(identity, job, 'report')) {
          return {
            refuse: new ForbiddenError(
              `Only the job wrapper of job ${jobId}, with its payload token, reports its outputs.`,
            ),
          };
        }
        return { write: { outputs: text }, history: [], result: () => undefined };
      });
      if (!outcome.found) {
        assertPayloadHolding(identity, jobId, undefined);
        throw missing(jobId);
      }
      if (outcome.value) throw outcome.value;
    },

    /** `GET /api/jobs/{jobId}/outputs`: `{}` until the job wrapper reports. */
    async get(identity: Identity, jobId: number): Promise<JobOutputs> {
      const job = await jobs.get(jobId);
      if (!job || job.vo !== identity.vo) throw missing(jobId);
      if (!mayAccess(identity, job, 'read')) throw new ForbiddenError(`Job ${jobId} is not yours.`);
      return job.outputs === undefined ? {} : (parseJson(job.outputs) as JobOutputs);
    },
  };
}
