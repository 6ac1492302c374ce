/**
 * One cycle of one transformation, run by whichever of the work-queue consumer and the scheduled
 * sweep holds its lease: scan the catalog (the first time, and now and then as the backstop of the
 * catalog events), follow the jobs of open tasks, make new tasks, and complete the transformation
 * once nothing is Unused and no task is open; or, when Cleaning, kill its jobs and remove its
 * tasks and files. What the budget leaves undone is handed to the next cycle (the work queue).
 */
import { randomUUID } from 'node:crypto';
import { ownerIdentity } from '#shared/transformations/job.ts';
import { allOpenShards } from '#shared/transformations/keys.ts';
import type { TransformationRecord, TransformationTask } from '#shared/transformations/model.ts';
import { settleTasks } from '#shared/transformations/outcomes.ts';
import type { EnginePorts } from '#shared/transformations/ports.ts';
import { creatingTasks, joining } from '#shared/transformations/states.ts';
import { addFile, anyFile, deleteFile, listFiles } from '#shared/transformations/store/files.ts';
import { deleteTask, listTasks, openTasks } from '#shared/transformations/store/tasks.ts';
import {
  getTransformation,
  recordScan,
  releaseLease,
  setState,
  takeLease,
} from '#shared/transformations/store/transformations.ts';
import { createTaskMaker } from '#shared/transformations/task-creation.ts';

export type CycleResult = 'done' | 'more' | 'busy' | 'gone';

export async function runCycle(ports: EnginePorts, transformationId: number): Promise<CycleResult> {
  const holder = randomUUID();
  const start = ports.now().getTime();
  const deadline = Date.now() + ports.settings.budgetMs;
  const found = await getTransformation(ports.store, transformationId);
  if (!found || found.state === 'Cleaned') return 'gone';
  const leased = await takeLease(ports.store, transformationId, holder, start, ports.settings.leaseSeconds);
  if (!leased) return 'busy';
  try {
    const t = await reopenedIfUnused(ports, leased);
    if (t.state === 'Cleaning') return (await clean(ports, t, deadline)) ? 'more' : 'done';
    let more = false;
    if (t.inputQuery !== undefined && joining.includes(t.state) && scanDue(ports, t)) {
      more = (await scan(ports, t, deadline)) || more;
    }
    const open = await openTasksOf(ports, t);
    await settleTasks(
      ports,
      t,
      open.filter((task) => task.status === 'Submitted'),
    );
    if (creatingTasks.includes(t.state)) {
      const maker = createTaskMaker(ports);
      for (const task of open.filter((task) => task.status === 'Created')) {
        if (Date.now() > deadline) return 'more';
        await maker.finish(t, task);
      }
      const current = (await getTransformation(ports.store, transformationId)) as TransformationRecord;
      more = (await maker.makeTasks(current, deadline)) || more;
    }
    if (!more && t.state === 'Active' && (await finished(ports, t.transformationId))) {
      const time = ports.now().toISOString();
      // A file that joined between the check and the write saw Active and did not reopen: looked
      // for after the write, it is found here (or its joiner sees Completed and reopens).
      if (
        (await setState(ports.store, t, ['Active'], 'Completed', time)) &&
        (await anyFile(ports.store, transformationId, 'Unused'))
      ) {
        await reopen(ports, t, time);
        return 'more';
      }
    }
    return more ? 'more' : 'done';
  } finally {
    await releaseLease(ports.store, transformationId, holder);
  }
}

/**
 * A Completed transformation holding an Unused file is reopened, so this cycle makes its tasks:
 * the backstop for a joiner and a completion that crossed while the file-status index lagged,
 * looked for when a rescan is due (sixteen reads, not on every cycle of every transformation).
 */
async function reopenedIfUnused(ports: EnginePorts, t: TransformationRecord): Promise<TransformationRecord> {
  if (t.state !== 'Completed' || t.inputQuery === undefined || !scanDue(ports, t)) return t;
  if (!(await anyFile(ports.store, t.transformationId, 'Unused'))) return t;
  if (await reopen(ports, t, ports.now().toISOString())) return { ...t, state: 'Active' };
  return (await getTransformation(ports.store, t.transformationId)) ?? t;
}

/** Completed → Active (a file joined, or was found Unused); false when it was not Completed. */
const reopen = (ports: EnginePorts, t: TransformationRecord, time: string) =>
  setState(ports.store, t, ['Completed'], 'Active', time);

async function openTasksOf(ports: EnginePorts, t: TransformationRecord): Promise<TransformationTask[]> {
  const shards = await Promise.all(
    allOpenShards().map((shard) => openTasks(ports.store, t.transformationId, shard)),
  );
  return shards.flat().sort((a, b) => a.taskId - b.taskId);
}

/** Nothing Unused, nothing Assigned, no task open, and (a generation) every task made. */
async function finished(ports: EnginePorts, transformationId: number): Promise<boolean> {
  const t = (await getTransformation(ports.store, transformationId)) as TransformationRecord;
  if (t.inputQuery === undefined && t.lastTaskId < (t.tasks ?? 0)) return false;
  if (t.inputQuery !== undefined && (t.scannedAt === undefined || t.scanNext !== undefined)) return false;
  if ((await openTasksOf(ports, t)).length > 0) return false;
  if (t.inputQuery === undefined) return true;
  return (
    !(await anyFile(ports.store, transformationId, 'Unused')) &&
    !(await anyFile(ports.store, transformationId, 'Assigned'))
  );
}

function scanDue(ports: EnginePorts, t: TransformationRecord): boolean {
  if (t.scanNext !== undefined || t.scannedAt === undefined) return true;
  return ports.now().getTime() - Date.parse(t.scannedAt) >= ports.settings.rescanSeconds * 1000;
}

/**
 * Joins the catalog's matching files a page at a time, remembering where it is; true when the scan
 * stopped for the budget. A file that joins a Completed transformation reopens it.
 */
async function scan(ports: EnginePorts, t: TransformationRecord, deadline: number): Promise<boolean> {
  let next = t.scanNext;
  do {
    const page = await ports.catalog.find(t.vo, t.inputQuery ?? [], next);
    await joinFiles(ports, t, page.lfns);
    next = page.next;
    await recordScan(ports.store, t.transformationId, {
      ...(next !== undefined ? { next } : { endedAt: ports.now().toISOString() }),
    });
  } while (next !== undefined && Date.now() < deadline);
  return next !== undefined;
}

/**
 * Adds the files to the transformation as Unused (those already in it stay as they are) and
 * reopens it if it is Completed once they are in (read after the writes, not from `t`: a cycle
 * may have completed it meanwhile); how many joined.
 */
export async function joinFiles(
  ports: EnginePorts,
  t: TransformationRecord,
  lfns: readonly string[],
): Promise<number> {
  if (lfns.length === 0) return 0;
  const sizes = t.plugin === 'BySize' ? await ports.catalog.sizes(lfns) : new Map<string, number>();
  const time = ports.now().toISOString();
  let joined = 0;
  for (const lfn of lfns)
    if (await addFile(ports.store, t.transformationId, lfn, time, sizes.get(lfn))) joined += 1;
  if (joined > 0 && (await getTransformation(ports.store, t.transformationId))?.state === 'Completed')
    await reopen(ports, t, time);
  return joined;
}

/** Kills the jobs of open tasks, removes tasks and files; true when the budget ran out first. */
async function clean(ports: EnginePorts, t: TransformationRecord, deadline: number): Promise<boolean> {
  const open = await openTasksOf(ports, t);
  const jobIds = open.flatMap((task) => (task.jobId ? [task.jobId] : []));
  if (jobIds.length > 0) await ports.jobs.kill(ownerIdentity(ports.config, t), jobIds);
  for (;;) {
    if (Date.now() > deadline) return true;
    const tasks = await listTasks(ports.store, t.transformationId, t.lastTaskId, { limit: 100 });
    const page = await listFiles(ports.store, t.transformationId, { limit: 100 });
    if (tasks.length === 0 && page.files.length === 0) break;
    await Promise.all([
      ...tasks.map((task) => deleteTask(ports.store, t.transformationId, task.taskId)),
      ...page.files.map((file) => deleteFile(ports.store, t.transformationId, file.lfn)),
    ]);
  }
  await setState(ports.store, t, ['Cleaning'], 'Cleaned', ports.now().toISOString());
  return false;
}
