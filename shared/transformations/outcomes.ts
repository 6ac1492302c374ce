/**
 * A task's job outcome onto its files (DIRAC's TransformationAgent reading WorkflowTaskAgent's task
 * statuses). The agent reads the status of every Submitted task's job, a hundred to a read, and
 * when the job is final: Done → each file Processed; Failed, Killed, Deleted (or gone) → each file
 * Unused again with one more failed attempt, Problematic at the transformation's maxReset. A
 * generation task has no files: it is submitted again as itself until maxReset attempts.
 * Every write is conditional on the file being Assigned to this task, and the task moves last, so
 * a run that stops halfway is finished by the next without settling a file twice.
 */
import { taskIdempotencyKey } from '#shared/transformations/keys.ts';
import type { TransformationRecord, TransformationTask } from '#shared/transformations/model.ts';
import type { EnginePorts, JobState } from '#shared/transformations/ports.ts';
import { fileFailed, fileProcessed } from '#shared/transformations/store/files.ts';
import { noteJobStatus, updateTask } from '#shared/transformations/store/tasks.ts';

const failed = new Set(['Failed', 'Killed', 'Deleted']);

export async function settleTasks(
  ports: EnginePorts,
  transformation: TransformationRecord,
  submitted: readonly TransformationTask[],
): Promise<void> {
  if (submitted.length === 0) return;
  const states = await ports.jobs.states(submitted.flatMap((task) => (task.jobId ? [task.jobId] : [])));
  for (const task of submitted) {
    const job: JobState = (task.jobId ? states.get(task.jobId) : undefined) ?? {
      status: 'Deleted',
      minorStatus: 'the job is gone',
    };
    if (job.status === 'Done') await done(ports, transformation, task);
    else if (failed.has(job.status)) await fail(ports, transformation, task, job);
    else if (job.status !== task.jobStatus) await noteJobStatus(ports.store, task, job.status);
  }
}

async function done(ports: EnginePorts, t: TransformationRecord, task: TransformationTask): Promise<void> {
  const time = ports.now().toISOString();
  for (const lfn of task.lfns) await fileProcessed(ports.store, t.transformationId, lfn, task.taskId, time);
  await updateTask(ports.store, task, ['Submitted'], 'Done', { jobStatus: 'Done', updatedAt: time });
}

async function fail(ports: EnginePorts, t: TransformationRecord, task: TransformationTask, job: JobState) {
  const time = ports.now().toISOString();
  const reason = `job ${task.jobId} ${job.status}: ${job.minorStatus}`;
  if (t.inputQuery === undefined && task.attempt < t.maxReset) {
    await updateTask(
      ports.store,
      task,
      ['Submitted'],
      'Created',
      {
        attempt: task.attempt + 1,
        idempotencyKey: taskIdempotencyKey(t.transformationId, task.taskId, task.attempt + 1),
        reason,
        updatedAt: time,
      },
      ['jobId', 'jobStatus'],
    );
    return;
  }
  for (const lfn of task.lfns)
    await fileFailed(ports.store, t.transformationId, lfn, task.taskId, t.maxReset, reason, time);
  const why = t.inputQuery === undefined ? `${reason} (failed ${t.maxReset} times)` : reason;
  await updateTask(ports.store, task, ['Submitted'], 'Failed', {
    jobStatus: job.status,
    reason: why,
    updatedAt: time,
  });
}
