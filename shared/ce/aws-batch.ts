/**
 * The AwsBatch computing element: one Batch job per pilot, from the pilot job definition and queue
 * the stack creates (infra/constructs/batch.ts). The image's entry point is `muon`, so a pilot's
 * arguments become the container's command. A pilot learns its reference from AWS_BATCH_JOB_ID.
 * A pilot's credentials never travel with its submission (anyone allowed DescribeJobs reads the
 * container overrides, and the pilot's environment is readable in /proc): the job definition names
 * the pilot credentials secret, which the pilot reads itself with its job role.
 */
import {
  type BatchClient,
  DescribeJobsCommand,
  type JobStatus,
  ListJobsCommand,
  SubmitJobCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { chunk } from '#shared/concurrency.ts';
import type { Logger } from '#shared/log.ts';
import {
  availability,
  type ComputingElement,
  type PilotLimits,
  type PilotState,
  unknownStates,
} from './computing-element.ts';
import { refuseCredentialVariables } from './credentials.ts';
import { ComputingElementError, ComputingElementUnavailableError } from './errors.ts';
import { pilotReference, referenceEnvironmentName, referenceId, schemes } from './reference.ts';

export interface AwsBatchOptions {
  readonly site: string;
  readonly name: string;
  readonly limits: PilotLimits;
  readonly client: BatchClient;
  readonly region: string;
  readonly jobQueue: string;
  readonly jobDefinition: string;
  readonly logger?: Logger;
}

/** The reason given to TerminateJob; a FAILED job with this reason was cancelled: Aborted. */
export const cancelReason = 'Cancelled by the muon site director';

const waitingStatuses: readonly JobStatus[] = ['SUBMITTED', 'PENDING', 'RUNNABLE'];
const runningStatuses: readonly JobStatus[] = ['STARTING', 'RUNNING'];

export function pilotStateOfBatch(status: string | undefined, statusReason?: string): PilotState {
  if (status === undefined) return 'Unknown';
  if ((waitingStatuses as readonly string[]).includes(status)) return 'Waiting';
  if ((runningStatuses as readonly string[]).includes(status)) return 'Running';
  if (status === 'SUCCEEDED') return 'Done';
  if (status === 'FAILED') return statusReason?.startsWith(cancelReason) ? 'Aborted' : 'Failed';
  return 'Unknown';
}

/** Batch job names: up to 128 letters, digits, "-" and "_", starting with a letter or digit. */
export const batchJobName = (site: string, ce: string): string =>
  `muon-pilot-${site}-${ce}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128);

/** Names the SDK gives throttling (HTTP 429 or 400 with these codes). */
const throttlingNames = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

/** An SDK failure as a CE error: throttling, 5xx and network trouble mean "try later". */
export function batchError(label: string, operation: string, error: unknown): ComputingElementError {
  const failure = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = failure.$metadata?.httpStatusCode;
  const what = `${failure.name ?? 'Error'}: ${failure.message ?? String(error)}`;
  if (status === 429 || throttlingNames.has(failure.name ?? '')) {
    return new ComputingElementUnavailableError(
      `${label} is throttled by AWS Batch (${operation}): ${what}`,
      {
        cause: error,
      },
    );
  }
  if (status === undefined || status >= 500) {
    return new ComputingElementUnavailableError(`${label} is unavailable: AWS Batch ${operation}: ${what}`, {
      cause: error,
    });
  }
  return new ComputingElementError(`${label}: AWS Batch ${operation} failed: ${what}`, { cause: error });
}

/** Submissions in flight at once. */
const submitConcurrency = 10;

export function createAwsBatchComputingElement(options: AwsBatchOptions): ComputingElement {
  const { client, region, site, name } = options;
  const label = `AwsBatch CE ${site}/${name}`;
  const jobName = batchJobName(site, name);

  const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw batchError(label, operation, error);
    }
  };

  const jobIdOf = (reference: string) => referenceId(reference, schemes.AwsBatch, region);

  const submitOne = async (args: readonly string[], env: Readonly<Record<string, string>>) => {
    const answer = await call('SubmitJob', () =>
      client.send(
        new SubmitJobCommand({
          jobName,
          jobQueue: options.jobQueue,
          jobDefinition: options.jobDefinition,
          containerOverrides: {
            command: [...args],
            // The pilot builds its reference from AWS_BATCH_JOB_ID and this region.
            environment: Object.entries({ AWS_REGION: region, ...env })
              .filter(([key]) => key !== referenceEnvironmentName)
              .map(([key, value]) => ({ name: key, value })),
          },
        }),
      ),
    );
    if (!answer.jobId) throw new ComputingElementError(`${label}: SubmitJob answered without a job id`);
    return pilotReference(schemes.AwsBatch, region, answer.jobId);
  };

  const countByStatus = async (status: JobStatus): Promise<number> => {
    let count = 0;
    let nextToken: string | undefined;
    do {
      const page = await call('ListJobs', () =>
        client.send(new ListJobsCommand({ jobQueue: options.jobQueue, jobStatus: status, nextToken })),
      );
      count += (page.jobSummaryList ?? []).filter((job) => job.jobName === jobName).length;
      nextToken = page.nextToken;
    } while (nextToken);
    return count;
  };

  return {
    name,
    type: 'AwsBatch',
    site,

    async submitPilots(count, spec) {
      if (spec.credentials) {
        throw new ComputingElementError(
          `${label}: AWS Batch pilots read their credentials from the pilot credentials secret (MUON_PILOT_CREDENTIALS_SECRET_ARN); none may be submitted with them.`,
        );
      }
      const env = spec.env ?? {};
      refuseCredentialVariables(env, label);
      const references: string[] = [];
      let firstError: unknown;
      for (let start = 0; start < count; start += submitConcurrency) {
        const size = Math.min(submitConcurrency, count - start);
        const settled = await Promise.allSettled(
          Array.from({ length: size }, () => submitOne(spec.arguments, env)),
        );
        for (const outcome of settled) {
          if (outcome.status === 'fulfilled') references.push(outcome.value);
          else firstError ??= outcome.reason;
        }
        if (firstError !== undefined) break;
      }
      if (firstError !== undefined) {
        if (references.length === 0) throw firstError;
        // The pilots already submitted run: hand them back so they are recorded.
        options.logger?.warn('submitted fewer pilots than asked', {
          ce: name,
          site,
          asked: count,
          error: firstError,
        });
      }
      return references;
    },

    async status(references) {
      const states = unknownStates(references);
      const byId = new Map<string, string>();
      for (const reference of references) {
        const id = jobIdOf(reference);
        if (id !== undefined) byId.set(id, reference);
      }
      for (const jobs of chunk([...byId.keys()], 100)) {
        const answer = await call('DescribeJobs', () => client.send(new DescribeJobsCommand({ jobs })));
        for (const job of answer.jobs ?? []) {
          const reference = job.jobId === undefined ? undefined : byId.get(job.jobId);
          if (reference) states.set(reference, pilotStateOfBatch(job.status, job.statusReason));
        }
      }
      return states;
    },

    async cancel(references) {
      for (const reference of references) {
        const jobId = jobIdOf(reference);
        if (jobId === undefined) continue;
        await call('TerminateJob', () =>
          client.send(new TerminateJobCommand({ jobId, reason: cancelReason })),
        );
      }
    },

    async available() {
      const [waiting, running] = await Promise.all(
        [waitingStatuses, runningStatuses].map(async (statuses) =>
          (await Promise.all(statuses.map(countByStatus))).reduce((sum, n) => sum + n, 0),
        ),
      );
      return availability(running ?? 0, waiting ?? 0, options.limits);
    },
  };
}
