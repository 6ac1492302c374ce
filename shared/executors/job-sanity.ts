/**
 * JobSanity checks that every sandbox the job names in its input sandbox (`SB:` references) was
 * uploaded, belongs to the job's owner and fits the size limit, and assigns them to the job.
 */
import { PermanentError } from '#shared/errors.ts';
import type { Executor } from '#shared/executors/executor.ts';

export interface SandboxInfo {
  readonly vo: string;
  readonly owner: string;
  readonly size: number;
  readonly uploaded: boolean;
}

export interface SandboxPort {
  lookup(reference: string): Promise<SandboxInfo | undefined>;
  assign(reference: string, jobId: number, kind: 'Input' | 'Output'): Promise<void>;
}

export function createJobSanity(sandboxes: SandboxPort, maxSandboxBytes: number): Executor {
  return {
    name: 'JobSanity',
    optimize: async (job) => {
      const references = job.description.inputSandbox.filter((entry) => entry.startsWith('SB:'));
      let total = 0;
      for (const reference of references) {
        const sandbox = await sandboxes.lookup(reference);
        if (!sandbox?.uploaded) {
          return {
            kind: 'fail',
            reason: 'Input sandbox not found',
            detail: `${reference} was never uploaded`,
          };
        }
        if (sandbox.vo !== job.vo || sandbox.owner !== job.owner) {
          return { kind: 'fail', reason: 'Input sandbox not owned by the job owner', detail: reference };
        }
        total += sandbox.size;
      }
      if (total > maxSandboxBytes) {
        return {
          kind: 'fail',
          reason: 'Input sandbox too large',
          detail: `${total} bytes, the limit is ${maxSandboxBytes}: put large inputs on a storage element as input data`,
        };
      }
      for (const reference of references) {
        try {
          await sandboxes.assign(reference, job.jobId, 'Input');
        } catch (error) {
          if (!(error instanceof PermanentError)) throw error;
          return { kind: 'fail', reason: 'Input sandbox not found', detail: error.message };
        }
      }
      return { kind: 'continue' };
    },
  };
}
