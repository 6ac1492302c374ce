/**
 * Heartbeats (DIRAC's JobStateUpdate.sendHeartBeat, DiracX's `PATCH /api/jobs/heartbeat`): a
 * running job says it is alive and how it is doing; the answer carries the commands waiting for it
 * (Kill), which are delivered once. A Matched or Stalled job that beats is Running again.
 */
import { z } from 'zod';
import type { Identity } from '#shared/auth/identity.ts';
import { mayAccess } from '#shared/jobs/access.ts';
import type { BulkResult, Failure } from '#shared/jobs/control.ts';
import type { JobRecord, StatusHistoryEntry } from '#shared/jobs/model.ts';
import type { JobRepository } from '#shared/jobs/repository.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { historyEntry } from '#shared/jobs/transitions.ts';

/** DiracX's HeartbeatData: unknown fields are refused. */
export const heartbeatDataSchema = z.strictObject({
  LoadAverage: z.number().nonnegative().optional(),
  MemoryUsed: z.number().nonnegative().optional(),
  Vsize: z.number().nonnegative().optional(),
  AvailableDiskSpace: z.number().optional(),
  CPUConsumed: z.number().nonnegative().optional(),
  WallClockTime: z.number().nonnegative().optional(),
  /** The last lines of the payload's output ("peek"), kept as a job parameter. */
  StandardOutput: z.string().optional(),
});

export const heartbeatsSchema = z
  .record(z.string().regex(/^[1-9][0-9]*$/, 'job ids are positive integers'), heartbeatDataSchema)
  .refine((body) => Object.keys(body).length > 0 && Object.keys(body).length <= 10_000, {
    message: 'send heartbeats for 1 to 10000 jobs',
  });

export interface JobCommandView {
  job_id: number;
  command: string;
  arguments: string;
}

/** Statuses in which a job may beat: on a pilot, or just killed (to learn it). */
const beating = new Set(['Matched', 'Running', 'Stalled', 'Completing', 'Killed']);
const peekLimit = 10_000;

/** Per job: the commands delivered, or why its heartbeat was refused (as kill and reschedule report). */
export async function recordHeartbeats(
  jobs: JobRepository,
  identity: Identity,
  beats: Readonly<Record<string, z.infer<typeof heartbeatDataSchema>>>,
  now: () => Date,
): Promise<BulkResult<JobCommandView[]>> {
  const result: BulkResult<JobCommandView[]> = { success: {}, failed: {} };
  const missing = (jobId: number): Failure => ({ code: 'not_found', detail: `Job ${jobId} does not exist.` });
  await Promise.all(
    Object.entries(beats).map(async ([id, data]) => {
      const jobId = Number(id);
      const outcome = await jobs.mutate<JobCommandView[] | Failure>(jobId, (job) => {
        if (job.vo !== identity.vo) return { refuse: missing(jobId) };
        if (!mayAccess(identity, job, 'report')) {
          return { refuse: { code: 'forbidden', detail: `You may not report on job ${jobId}.` } };
        }
        if (!beating.has(job.status)) {
          return {
            refuse: {
              code: 'invalid_transition',
              detail: `Job ${jobId} is ${job.status}; it is not running.`,
            },
          };
        }
        return beat(job, data, now().toISOString());
      });
      if (!outcome.found) result.failed[id] = missing(jobId);
      else if (Array.isArray(outcome.value)) result.success[id] = outcome.value;
      else result.failed[id] = outcome.value;
    }),
  );
  return result;
}

function beat(job: JobRecord, data: z.infer<typeof heartbeatDataSchema>, time: string) {
  const wakes = job.status === 'Matched' || job.status === 'Stalled';
  const { StandardOutput, ...figures } = data;
  const history: StatusHistoryEntry[] = wakes
    ? [
        historyEntry({
          time,
          status: 'Running',
          minorStatus: job.status === 'Matched' ? minorStatus.jobInitialization : job.minorStatus,
          applicationStatus: job.applicationStatus,
          source: 'Heartbeat',
        }),
      ]
    : [];
  return {
    write: {
      heartBeatTime: time,
      lastUpdateTime: time,
      parameters: {
        ...job.parameters,
        ...figures,
        ...(StandardOutput !== undefined ? { StandardOutput: StandardOutput.slice(-peekLimit) } : {}),
      },
      // Commands are delivered once, as DiracX marks them Sent.
      commands: [],
      ...(wakes
        ? {
            status: 'Running' as const,
            minorStatus: history[0]?.minorStatus ?? job.minorStatus,
            lastStatusTime: time,
            ...(job.startExecTime ? {} : { startExecTime: time }),
          }
        : {}),
    },
    history,
    result: () => job.commands.map((c) => ({ job_id: job.jobId, command: c.command, arguments: '' })),
  };
}
