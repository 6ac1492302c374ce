/** The body of `POST /api/jobs/jdl`: a list of JDL texts, as DiracX takes it. */
import { z } from 'zod';
import type { Identity } from '#shared/auth/identity.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { type DraftJob, SubmissionProblems } from '#shared/jobs/submission/checks.ts';
import { draftsFromJdl } from '#shared/jobs/submission/from-jdl.ts';
import type { SubmissionRequest } from '#shared/jobs/submission/submit.ts';

export const jdlSubmissionSchema = z
  .array(z.string().min(1, 'a JDL may not be empty'))
  .min(1, 'send at least one JDL');

export function jdlSubmission(
  jdls: readonly string[],
  identity: Identity,
  config: MuonConfig,
  idempotencyKey: string | undefined,
): SubmissionRequest {
  const problems = new SubmissionProblems();
  const maxParametric = config.virtualOrganizations[identity.vo]?.jobDescription.maxParametricJobs ?? 0;
  const drafts: DraftJob[] = jdls.flatMap((text, index) =>
    draftsFromJdl(text, `jdl[${index}]`, identity, maxParametric, problems),
  );
  return {
    drafts,
    problems,
    canonical: JSON.stringify(['jdl', jdls]),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
}
