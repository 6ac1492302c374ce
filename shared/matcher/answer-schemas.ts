/**
 * What the matcher's routes answer, one schema per message and its type (DIRAC's
 * `MatcherHandler.requestJob` result; DiracX has no matcher route). The OpenAPI document
 * (shared/http/openapi-pilots.ts) describes them from here.
 */
import { z } from 'zod';
import { jobStatusSchema } from '#shared/jobs/status.ts';

/** A job's payload token, given with a matched job and renewed on request. */
export const payloadTokenAnswerSchema = z.object({
  PayloadToken: z
    .string()
    .meta({ description: "The job's payload token (a bearer token for its job wrapper)." }),
  PayloadTokenExpiresAt: z.string().meta({ description: 'ISO 8601 time at which it stops working.' }),
});

/**
 * A pilot's match request: a job with its description, workflow and payload token, or why there
 * is none for this pilot now.
 */
export const matchAnswerSchema = z.discriminatedUnion('match', [
  z.object({
    match: z.literal(true),
    job: z.record(z.string(), z.unknown()).meta({
      description:
        "The matched job: its attributes, description, the CWL workflow or JDL, and the job's payload token.",
    }),
  }),
  z.object({ match: z.literal(false), reason: z.string() }),
]);

const siteSeen = { Site: z.string(), GridCE: z.string(), LastSeen: z.string() };

/** `GET /api/jobs/{jobId}/matching`: why a job is (not) matched, against the pilots seen lately. */
export const matchingExplanationSchema = z.object({
  JobID: z.number().int().positive(),
  Status: jobStatusSchema,
  Waiting: z.boolean(),
  Message: z.string(),
  TaskQueueID: z.string().optional(),
  Requirements: z
    .object({
      vo: z.string(),
      owner: z.string(),
      ownerGroup: z.string(),
      cpuTime: z.number(),
      tags: z.array(z.string()),
      sites: z.array(z.string()),
      bannedSites: z.array(z.string()),
      platforms: z.array(z.string()),
      jobTypes: z.array(z.string()),
      gridCEs: z.array(z.string()),
    })
    .optional(),
  Matching: z.array(z.object(siteSeen)).optional(),
  NotMatching: z.array(z.object({ ...siteSeen, Reason: z.string() })).optional(),
});
export type MatchingExplanation = z.infer<typeof matchingExplanationSchema>;
