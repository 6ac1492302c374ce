/**
 * Unused files into tasks, tasks into jobs (DIRAC's TransformationAgent and WorkflowTaskAgent).
 *
 * A task is written first, Created with its candidate files: the intent. Then each file is claimed
 * (Unused → Assigned to the task, one conditional write), the task's file list is made final
 * (`claimed`), and its job is submitted with the task's idempotency key before the task becomes
 * Submitted. A crash anywhere leaves a Created task, which the next cycle finishes the same way:
 * a file already Assigned to the task is the task's, and the submission with the same key finds
 * the job made the first time. Only the lease holder runs this, so no two runs make tasks at once.
 */
import { MuonError, PermanentError } from '#shared/errors.ts';
import { type Candidate, groupFiles } from '#shared/transformations/grouping.ts';
import { ownerIdentity, type TaskInput, taskInput, taskSubmission } from '#shared/transformations/job.ts';
import { taskIdempotencyKey } from '#shared/transformations/keys.ts';
import type { TransformationRecord, TransformationTask } from '#shared/transformations/model.ts';
import type { EnginePorts } from '#shared/transformations/ports.ts';
import { claimFile, fileFailed, getFile, listFiles } from '#shared/transformations/store/files.ts';
import { getTask, putTask, updateTask } from '#shared/transformations/store/tasks.ts';
import { advanceLastTaskId } from '#shared/transformations/store/transformations.ts';

/** Unused files read per cycle: enough for many tasks, few enough to group in memory. */
const candidatesPerCycle = 5000;

export interface TaskMaker {
  /** Makes tasks of the Unused files (or the generation's next tasks) until `deadline`; true if more remain. */
  makeTasks(transformation: TransformationRecord, deadline: number): Promise<boolean>;
  /** Finishes a Created task: claims its files, submits its job. */
  finish(transformation: TransformationRecord, task: TransformationTask): Promise<void>;
}

export function createTaskMaker(ports: EnginePorts): TaskMaker {
  const { store } = ports;
  const documents = new Map<string, Promise<{ document: Record<string, unknown>; input: TaskInput }>>();
  const prepared = (t: TransformationRecord) => {
    let found = documents.get(`${t.transformationId}`);
    if (!found) {
      found = ports.workflow(t.workflowId).then((document) => {
        if (!document)
          throw new Error(`Workflow ${t.workflowId} of transformation ${t.transformationId} is missing.`);
        const read = taskInput(document, {
          ...(t.inputName ? { inputName: t.inputName } : {}),
          generation: t.inputQuery === undefined,
          groupSize: t.groupSize,
        });
        return { document: document as Record<string, unknown>, input: read.input };
      });
      documents.set(`${t.transformationId}`, found);
    }
    return found;
  };
  const time = () => ports.now().toISOString();

  async function newTask(
    t: TransformationRecord,
    taskId: number,
    lfns: readonly string[],
  ): Promise<TransformationTask> {
    const task: TransformationTask = {
      transformationId: t.transformationId,
      taskId,
      status: 'Created',
      lfns,
      // A generation task has no files to claim.
      claimed: t.inputQuery === undefined,
      attempt: 1,
      idempotencyKey: taskIdempotencyKey(t.transformationId, taskId),
      createdAt: time(),
      updatedAt: time(),
    };
    if (!(await putTask(store, task))) {
      // Left by a crash after the task was written: the open-task pass finishes it.
      await advanceLastTaskId(store, t.transformationId, taskId);
      return (await getTask(store, t.transformationId, taskId)) as TransformationTask;
    }
    await advanceLastTaskId(store, t.transformationId, taskId);
    return task;
  }

  async function claim(
    t: TransformationRecord,
    task: TransformationTask,
  ): Promise<TransformationTask | undefined> {
    if (task.claimed) return task;
    const mine: string[] = [];
    for (const lfn of task.lfns) {
      if (await claimFile(store, t.transformationId, lfn, task.taskId, time())) mine.push(lfn);
      else if (await assignedTo(t, lfn, task.taskId)) mine.push(lfn);
    }
    if (mine.length === 0) {
      await updateTask(store, task, ['Created'], 'Failed', {
        reason: 'its files were taken by other tasks',
        updatedAt: time(),
      });
      return undefined;
    }
    const claimed = { ...task, lfns: mine, claimed: true };
    await updateTask(store, task, ['Created'], 'Created', { lfns: mine, claimed: true, updatedAt: time() });
    return claimed;
  }

  async function assignedTo(t: TransformationRecord, lfn: string, taskId: number): Promise<boolean> {
    const file = await getFile(store, t.transformationId, lfn);
    return file?.status === 'Assigned' && file.taskId === taskId;
  }

  async function finish(t: TransformationRecord, created: TransformationTask): Promise<void> {
    const task = await claim(t, created);
    if (!task) return;
    const { document, input } = await prepared(t);
    let jobId: number;
    try {
      jobId = await ports.jobs.submit(
        ownerIdentity(ports.config, t),
        taskSubmission(t, document, input, task.taskId, task.lfns),
        task.idempotencyKey,
      );
    } catch (error) {
      // A refusal will not change on retry (the configuration changed since the submission): the
      // task fails and its files count one failed attempt; anything else is retried next cycle.
      const permanent =
        error instanceof MuonError && (error.statusCode < 500 || error instanceof PermanentError);
      if (!permanent) throw error;
      const reason = `job refused: ${error.message}`;
      ports.logger.warn('task job refused', {
        transformationId: t.transformationId,
        taskId: task.taskId,
        reason,
      });
      for (const lfn of task.lfns)
        await fileFailed(store, t.transformationId, lfn, task.taskId, t.maxReset, reason, time());
      await updateTask(store, task, ['Created'], 'Failed', { reason, updatedAt: time() });
      return;
    }
    await updateTask(store, task, ['Created'], 'Submitted', {
      jobId,
      jobStatus: 'Received',
      updatedAt: time(),
    });
  }

  async function makeTasks(t: TransformationRecord, deadline: number): Promise<boolean> {
    let last = t.lastTaskId;
    if (t.inputQuery === undefined) {
      while (last < (t.tasks ?? 0)) {
        if (Date.now() > deadline) return true;
        last += 1;
        await finish(t, await newTask(t, last, []));
      }
      return false;
    }
    const page = await listFiles(store, t.transformationId, { status: 'Unused', limit: candidatesPerCycle });
    const candidates: (Candidate & { updatedAt: string })[] = page.files.map((file) => ({
      lfn: file.lfn,
      ...(file.size !== undefined ? { size: file.size } : {}),
      updatedAt: file.updatedAt,
    }));
    const newest = candidates.reduce((max, c) => (c.updatedAt > max ? c.updatedAt : max), '');
    const quiet =
      ports.now().getTime() - Date.parse(newest || '1970-01-01') >= ports.settings.flushSeconds * 1000;
    const flush = quiet && page.next === undefined && t.scanNext === undefined;
    for (const group of groupFiles(candidates, t, flush)) {
      if (Date.now() > deadline) return true;
      last += 1;
      await finish(
        t,
        await newTask(
          t,
          last,
          group.map((c) => c.lfn),
        ),
      );
    }
    return page.next !== undefined;
  }

  return { makeTasks, finish };
}
