/**
 * What `GET /api/health` answers (functions/health.ts): the API's version and time, and each
 * service behind it as shared/health/dependencies.ts probed it. The OpenAPI document
 * (shared/http/openapi-pilots.ts) describes it from here.
 */
import { z } from 'zod';

const dependencySchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  ms: z.number(),
  error: z.string().optional(),
});

export const healthAnswerSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  time: z.string(),
  dependencies: z.object({ dynamodb: dependencySchema, sqs: dependencySchema, s3: dependencySchema }),
});
export type HealthAnswer = z.infer<typeof healthAnswerSchema>;
