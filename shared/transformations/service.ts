/**
 * The transformation manager (DIRAC's TransformationManager service): submit a transformation,
 * read its status, files and tasks, and start, stop, extend or clean it. Work itself (joining
 * files, tasks, jobs) is the agent's (cycle.ts); each change here asks it for a cycle now.
 *
 * A submission is checked whole before anything is written: the spec, the CWL, the input that
 * takes the files, and a sample task's job against the VO's limits. Then the workflow is stored
 * content-addressed (as `muon job submit` does), and the transformation is written Active.
 */
import type { Identity } from '#shared/auth/identity.ts';
import { canonicalWorkflow } from '#shared/cwl/index.ts';
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import { BadRequestError } from '#shared/errors.ts';
import { accessible, assertCanSubmitTransformation } from '#shared/transformations/access.ts';
import { checkTaskJob, taskInput } from '#shared/transformations/job.ts';
import {
  emptyTaskCounts,
  type FileStatus,
  maxGenerationTasks,
  type TransformationRecord,
  type TransformationSpecInput,
  type TransformationView,
  transformationSpecSchema,
} from '#shared/transformations/model.ts';
import { requestCycle } from '#shared/transformations/ports.ts';
import { move, type TransformationAction } from '#shared/transformations/states.ts';
import { countFiles, listFiles } from '#shared/transformations/store/files.ts';
import { listTasks } from '#shared/transformations/store/tasks.ts';
import {
  allocateTransformationId,
  getTransformation,
  putTransformation,
  setState,
} from '#shared/transformations/store/transformations.ts';
import { getWorkflow, putWorkflow } from '#shared/workflows/store.ts';

const settledState: Partial<Record<TransformationAction, string>> = {
  start: 'Active',
  stop: 'Stopped',
  clean: 'Cleaning',
};

export type ServiceDeps = Pick<Deps, 'config' | 'aws' | 'resources' | 'now' | 'logger'>;

export function createTransformationService(deps: ServiceDeps) {
  const store = () => ({ dynamo: deps.aws.dynamo, table: tableName(deps.resources, 'transformations') });
  const workflows = () => tableName(deps.resources, 'workflows');
  const requeue = (id: number) => requestCycle(deps, id);

  async function load(identity: Identity, id: number): Promise<TransformationRecord> {
    return accessible(identity, await getTransformation(store(), id), id);
  }

  async function submit(
    identity: Identity,
    input: TransformationSpecInput,
  ): Promise<{ transformationId: number }> {
    assertCanSubmitTransformation(identity);
    const parsed = transformationSpecSchema.safeParse(input);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || 'spec'}: ${issue.message}`,
      );
      throw new BadRequestError(
        `The transformation was refused; nothing was stored. ${problems.join('; ')}.`,
        {
          code: 'transformation.invalid',
        },
      );
    }
    const spec = parsed.data;
    const document = spec.cwl ?? (await getWorkflow(deps.aws.dynamo, workflows(), spec.workflowId as string));
    if (document === undefined || document === null || typeof document !== 'object') {
      throw new BadRequestError(`No stored workflow ${spec.workflowId}; give the CWL itself.`, {
        code: 'transformation.workflow_missing',
      });
    }
    const { input: read } = taskInput(document, {
      ...(spec.inputName ? { inputName: spec.inputName } : {}),
      generation: spec.inputQuery === undefined,
      groupSize: spec.groupSize,
    });
    const workflow = canonicalWorkflow(document);
    const time = deps.now().toISOString();
    const draft: TransformationRecord = {
      transformationId: 0,
      vo: identity.vo,
      owner: identity.username,
      ownerSub: identity.sub,
      ownerGroup: identity.group,
      name: spec.name,
      type: spec.type,
      state: 'Active',
      workflowId: workflow.id,
      ...(spec.inputQuery ? { inputQuery: spec.inputQuery } : {}),
      ...(spec.tasks !== undefined ? { tasks: spec.tasks } : {}),
      groupSize: spec.groupSize,
      plugin: spec.plugin,
      ...(spec.groupBytes !== undefined ? { groupBytes: spec.groupBytes } : {}),
      outputMetadata: spec.outputMetadata,
      ...(read.name ? { inputName: read.name } : {}),
      maxReset: spec.maxReset,
      hints: spec.hints,
      ...(spec.productionId ? { productionId: spec.productionId } : {}),
      ...(spec.step ? { step: spec.step } : {}),
      createdAt: time,
      updatedAt: time,
      lastTaskId: 0,
    };
    checkTaskJob(deps.config, draft, document as Record<string, unknown>, read);
    await putWorkflow(deps.aws.dynamo, workflows(), workflow, time);
    const transformationId = await allocateTransformationId(store());
    await putTransformation(store(), { ...draft, transformationId });
    await requeue(transformationId);
    return { transformationId };
  }

  async function status(identity: Identity, id: number): Promise<TransformationView> {
    const t = await load(identity, id);
    const [files, tasks] = await Promise.all([
      countFiles(store(), id),
      listTasks(store(), id, t.lastTaskId, { limit: Math.max(t.lastTaskId, 1) }),
    ]);
    const taskCounts = emptyTaskCounts();
    const jobs: Record<string, number> = {};
    for (const task of tasks) {
      taskCounts[task.status] += 1;
      if (task.jobStatus) jobs[task.jobStatus] = (jobs[task.jobStatus] ?? 0) + 1;
    }
    return { ...t, files, taskCounts, jobs };
  }

  async function change(
    identity: Identity,
    id: number,
    action: TransformationAction,
    extra?: { tasks: number },
  ) {
    const t = await load(identity, id);
    // Asking again for the state it is in changes nothing and is no error (a retried request).
    if (action !== 'extend' && t.state === settledState[action])
      return { transformationId: id, state: t.state };
    const { from, to } = move(action, t.state);
    if (action === 'extend') {
      if (t.inputQuery !== undefined) {
        throw new BadRequestError(
          `Transformation ${id} takes its files from a query; only a generation is extended by tasks.`,
          { code: 'transformation.not_generation' },
        );
      }
      if ((t.tasks ?? 0) + (extra?.tasks ?? 0) > maxGenerationTasks) {
        throw new BadRequestError(`A generation makes at most ${maxGenerationTasks} tasks.`);
      }
    }
    if (!(await setState(store(), t, from, to, deps.now().toISOString(), extra))) {
      const now = await getTransformation(store(), id);
      throw new BadRequestError(`Transformation ${id} changed meanwhile (now ${now?.state}); try again.`, {
        code: 'transformation.changed',
      });
    }
    await requeue(id);
    return { transformationId: id, state: to };
  }

  return {
    submit,
    status,
    files: async (
      identity: Identity,
      id: number,
      options: { status?: FileStatus; limit?: number; next?: string } = {},
    ) => {
      await load(identity, id);
      try {
        return await listFiles(store(), id, { ...options, limit: options.limit ?? 1000 });
      } catch (error) {
        if (error instanceof TypeError)
          throw new BadRequestError('next is not a page token of this listing.');
        throw error;
      }
    },
    tasks: async (identity: Identity, id: number, options: { after?: number; limit?: number } = {}) => {
      const t = await load(identity, id);
      const tasks = await listTasks(store(), id, t.lastTaskId, { ...options, limit: options.limit ?? 1000 });
      const last = tasks.at(-1);
      return { tasks, ...(last && last.taskId < t.lastTaskId ? { next: last.taskId } : {}) };
    },
    start: (identity: Identity, id: number) => change(identity, id, 'start'),
    stop: (identity: Identity, id: number) => change(identity, id, 'stop'),
    extend: (identity: Identity, id: number, tasks: number) => change(identity, id, 'extend', { tasks }),
    clean: (identity: Identity, id: number) => change(identity, id, 'clean'),
  };
}
export type TransformationService = ReturnType<typeof createTransformationService>;
