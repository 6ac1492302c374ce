/**
 * The sandbox store as the JobSanity executor sees it: what a job's `SB:` reference names, and the
 * assignment of input sandboxes to the job.
 */

import { PermanentError } from '#shared/errors.ts';
import type { SandboxInfo, SandboxPort } from '#shared/executors/job-sanity.ts';
import { parseReference } from '#shared/sandboxes/reference.ts';
import { createSandboxStore, type SandboxStoreDeps } from '#shared/sandboxes/service.ts';

/** Needs the sandboxes table (readWrite) and the bucket (read) granted to the function. */
export function createSandboxPort(deps: SandboxStoreDeps): SandboxPort {
  const store = createSandboxStore(deps);
  return {
    async lookup(text: string): Promise<SandboxInfo | undefined> {
      const reference = parseReference(text);
      const located = reference && (await store.locate(reference));
      if (!located) return undefined;
      const { record, stored } = located;
      return {
        vo: record.owner.vo,
        owner: record.owner.user,
        size: stored?.size ?? record.size,
        // Only the bucket can say the bytes are there; the metadata is written before the upload.
        uploaded: stored !== undefined,
      };
    },

    async assign(text, jobId, kind): Promise<void> {
      const reference = parseReference(text);
      if (!reference || !(await store.assign(reference, jobId, kind))) {
        throw new PermanentError(`Cannot assign ${text} to job ${jobId}: no such sandbox is registered.`, {
          code: 'sandbox.not_found',
        });
      }
    },
  };
}
