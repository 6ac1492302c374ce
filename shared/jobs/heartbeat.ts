/**
 * Heartbeats (DIRAC's JobStateUpdate.sendHeartBeat, DiracX's `PATCH /api/jobs/heartbeat`): a
 * running job says it is alive and how it is doing; the answer carries the commands waiting for it
 * (Kill), which are delivered once. A Matched or Stalled job that beats is Running again
 * (shared/jobs/transitions/heartbeat.ts). Each accepted beat's figures are also kept in the job's
 * heartbeat history (shared/jobs/store/heartbeat-log.ts), which the web monitor plots.
 */
import { z } from 'zod';
import type { Identity } from '#shared/auth/identity.ts';
import { mayAccess } from '#shared/jobs/access.ts';
import { type BulkResult, type Failure, missing } from '#shared/jobs/control.ts';
import { checkJobIdKeys } from '#shared/jobs/http.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobRepository } from '#shared/jobs/repository.ts';
import { appendHeartbeat } from '#shared/jobs/store/heartbeat-log.ts';
import { recordBeat } from '#shared/jobs/transitions/heartbeat.ts';
import type { StartedJob, StartedJobsRecorder } from '#shared/pilots/started-jobs.ts';

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

export const heartbeatsSchema = z.record(z.string(), heartbeatDataSchema).superRefine((body, ctx) => {
  if (Object.keys(body).length === 0 || Object.keys(body).length > 10_000)
    ctx.addIssue({ code: 'custom', message: 'send heartbeats for 1 to 10000 jobs' });
  checkJobIdKeys(body, ctx);
});

export interface JobCommandView {
  job_id: number;
  command: string;
  arguments: string;
}

const peekLimit = 10_000;

/**
 * Per job: the commands delivered, or why its heartbeat was refused (as kill and reschedule report).
 * The jobs a beat woke from Matched go to their pilot's record, in one write (`recordStarted`).
 */
export async function recordHeartbeats(
  jobs: JobRepository,
  identity: Identity,
  beats: Readonly<Record<string, z.infer<typeof heartbeatDataSchema>>>,
  now: () => Date,
  recordStarted?: StartedJobsRecorder,
): Promise<BulkResult<JobCommandView[]>> {
  const result: BulkResult<JobCommandView[]> = { success: {}, failed: {} };
  const started: StartedJob[] = [];
  const notRunning = (jobId: number, status: string): Failure => ({
    code: 'invalid_transition',
    detail: `Job ${jobId} is ${status}; it is not running.`,
  });
  await Promise.all(
    Object.entries(beats).map(async ([id, data]) => {
      const jobId = Number(id);
      const job = await jobs.get(jobId);
      if (!job || job.vo !== identity.vo) {
        result.failed[id] = missing(jobId);
        return;
      }
      // Only the pilot holding the job (or its payload token) beats: an owner could fake a live job.
      if (!mayAccess(identity, job, 'status')) {
        result.failed[id] = {
          code: 'forbidden',
          detail: `You may not send heartbeats for job ${jobId}: only the pilot running it does.`,
        };
        return;
      }
      const time = now().toISOString();
      const { result: written, delivered } = await recordBeat(jobs.transitions, job, {
        time,
        parameters: (current) => parametersWith(current, data),
      });
      if (written.ok) {
        if (written.previous === 'Matched') started.push(written.job);
        // The history the job page plots; the job's parameters keep only the latest figures.
        await appendHeartbeat(jobs.transitions, jobId, time, data);
        result.success[id] = delivered.map((c) => ({ job_id: jobId, command: c.command, arguments: '' }));
      } else if (written.current === undefined) result.failed[id] = missing(jobId);
      else result.failed[id] = notRunning(jobId, written.current);
    }),
  );
  if (started.length > 0) await recordStarted?.(identity, started);
  return result;
}

/** The beat's figures as job parameters; the payload's output "peek" keeps its last characters. */
function parametersWith(job: JobRecord, data: z.infer<typeof heartbeatDataSchema>) {
  const { StandardOutput, ...figures } = data;
  return {
    ...job.parameters,
    ...figures,
    ...(StandardOutput !== undefined ? { StandardOutput: StandardOutput.slice(-peekLimit) } : {}),
  };
}
