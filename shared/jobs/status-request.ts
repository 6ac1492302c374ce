/**
 * The body of `PATCH /api/jobs/status`, in DiracX's shape: `{ "<job id>": { "<ISO time>": { Status,
 * MinorStatus, ApplicationStatus, Source } } }`. Each update carries the time it happened.
 */
import { z } from 'zod';
import { hasProperty, type Identity, properties } from '#shared/auth/identity.ts';
import { ForbiddenError } from '#shared/errors.ts';
import { checkJobIdKeys } from '#shared/jobs/http.ts';
import { jobStatusSchema } from '#shared/jobs/status.ts';
import { type StatusUpdate, statusUpdateSchema } from '#shared/jobs/status-updates.ts';

const wireUpdate = z.strictObject({
  Status: jobStatusSchema.optional(),
  MinorStatus: z.string().optional(),
  ApplicationStatus: z.string().optional(),
  Source: z.string().optional(),
});

export const statusUpdatesSchema = z
  .record(z.string(), z.record(z.string(), wireUpdate))
  .superRefine((body, ctx) => {
    checkJobIdKeys(body, ctx);
    if (Object.keys(body).length === 0) ctx.addIssue({ code: 'custom', message: 'name at least one job' });
    if (Object.keys(body).length > 10_000)
      ctx.addIssue({ code: 'custom', message: 'at most 10000 jobs per request' });
    for (const [jobId, updates] of Object.entries(body)) {
      for (const [time, update] of Object.entries(updates)) {
        const parsed = statusUpdateSchema.safeParse(toUpdate(time, update));
        if (!parsed.success) {
          for (const issue of parsed.error.issues)
            ctx.addIssue({ code: 'custom', path: [jobId, time], message: issue.message });
        }
      }
    }
  });
export type StatusUpdatesBody = z.infer<typeof statusUpdatesSchema>;

const toUpdate = (time: string, update: z.infer<typeof wireUpdate>) => ({
  time,
  ...(update.Status !== undefined ? { status: update.Status } : {}),
  ...(update.MinorStatus !== undefined ? { minorStatus: update.MinorStatus } : {}),
  ...(update.ApplicationStatus !== undefined ? { applicationStatus: update.ApplicationStatus } : {}),
  ...(update.Source !== undefined ? { source: update.Source } : {}),
});

export function toUpdateMap(body: StatusUpdatesBody): Map<number, StatusUpdate[]> {
  return new Map(
    Object.entries(body).map(([jobId, updates]) => [
      Number(jobId),
      Object.entries(updates).map(([time, update]) => statusUpdateSchema.parse(toUpdate(time, update))),
    ]),
  );
}

/** Only a JobAdministrator may force a transition the state machine refuses. */
export function forceAllowed(identity: Identity, force: boolean): boolean {
  if (force && !hasProperty(identity, properties.jobAdministrator)) {
    throw new ForbiddenError('Only a JobAdministrator may force a status change.');
  }
  return force;
}
