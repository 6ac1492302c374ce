/**
 * The production service (DIRAC's ProductionManager): submission, status, stop, start, clean.
 *
 * Submission checks everything first (plan.ts: a 400 before anything is created), then:
 * 1. the production id: allocated, or the one the request's idempotency key already names;
 * 2. the packed Workflow into the workflows store, then the production record with the steps
 *    metadata as sent (one conditional put: a retry finds it);
 * 3. one transformation per step, in flow order, each recorded in the record as it is created.
 * A crash anywhere leaves a record that says which steps have their transformation. Sending the
 * same request with the same idempotency key again (the CLI does, and prints the key to use), or
 * `start`, makes the same plan from the stored Workflow and creates only the missing steps; the
 * transformation service returns the existing transformation of a (production, step) it already
 * has, so a crash between creating one and recording it does not make a second.
 */
import { createHash } from 'node:crypto';
import type { Identity } from '#shared/auth/identity.ts';
import type { MetaQuery, MetaType } from '#shared/catalog/query.ts';
import { canonicalJson, canonicalWorkflow } from '#shared/cwl/index.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { submitterScope } from '#shared/jobs/store/keys.ts';
import { assertCanSubmitTransformation, mayAccessTransformation } from '#shared/transformations/access.ts';
import {
  emptyFileCounts,
  type TransformationSpecInput,
  type TransformationView,
} from '#shared/transformations/model.ts';
import {
  type ProductionRecord,
  type ProductionState,
  type ProductionView,
  productionIdKey,
  productionStepKey,
  type StepProgress,
  type SubmitProductionRequest,
} from './model.ts';
import { checkMetadataTypes, planProduction } from './plan.ts';
import type { ProductionStore } from './store/productions.ts';

/** What productions need of the transformation service (shared/transformations/service.ts). */
export interface TransformationsPort {
  submit(identity: Identity, spec: TransformationSpecInput): Promise<{ transformationId: number }>;
  status(identity: Identity, transformationId: number): Promise<TransformationView>;
  start(identity: Identity, transformationId: number): Promise<unknown>;
  stop(identity: Identity, transformationId: number): Promise<unknown>;
  clean(identity: Identity, transformationId: number): Promise<unknown>;
  /** The transformation already made for a production's step, if any (a resumed submission). */
  findStep(vo: string, productionId: string, step: string): Promise<number | undefined>;
}

export interface WorkflowsPort {
  put(workflow: { id: string; json: string }): Promise<void>;
  get(workflowId: string): Promise<unknown>;
}

/** How many catalogued files match a query (the production's completion check). */
export interface CatalogPort {
  count(vo: string, query: MetaQuery): Promise<number>;
  /** The types the VO's metadata keys have (a key's first value declared it). */
  fieldTypes(vo: string): Promise<ReadonlyMap<string, MetaType>>;
}

export interface ProductionPorts {
  readonly store: ProductionStore;
  readonly workflows: WorkflowsPort;
  readonly transformations: TransformationsPort;
  readonly catalog: CatalogPort;
  readonly now: () => Date;
}

export type ProductionAction = 'start' | 'stop' | 'clean';

/** The states in which a step counts as having had the action. */
const reached: Record<ProductionAction, readonly string[]> = {
  start: ['Active', 'Completed'],
  stop: ['Stopped'],
  clean: ['Cleaning', 'Cleaned'],
};

export interface ActionResult {
  readonly productionId: string;
  readonly steps: readonly { step: string; transformationId?: number; done: boolean; message?: string }[];
}

export function createProductionService(ports: ProductionPorts) {
  const { store, workflows, transformations, now } = ports;

  async function read(identity: Identity, productionId: number): Promise<ProductionRecord> {
    const record = Number.isSafeInteger(productionId) ? await store.get(productionId) : undefined;
    if (!record || record.vo !== identity.vo) {
      throw new NotFoundError(`No production ${productionId}.`, 'production.not_found');
    }
    if (!mayAccessTransformation(identity, record)) {
      throw new ForbiddenError(
        `Production ${productionId} belongs to ${record.owner} (${record.ownerGroup}); only its owner, production managers and administrators act on it.`,
        'production.forbidden',
      );
    }
    return record;
  }

  /**
   * Creates the transformations of the steps that have none yet, in flow order. When resuming,
   * a step's transformation made before a crash, but not recorded, is found and recorded instead.
   */
  async function createMissing(
    identity: Identity,
    record: ProductionRecord,
    resuming: boolean,
  ): Promise<ProductionRecord> {
    const missing = record.steps.some((step) => step.transformationId === undefined);
    if (!missing) return record;
    const document = await workflows.get(record.workflowId);
    if (document === undefined) {
      throw new ConflictError(
        `The Workflow of production ${record.productionId} is no longer stored; submit it again.`,
        'production.workflow_missing',
      );
    }
    const id = Number(record.productionId);
    const plan = planProduction(document as Record<string, unknown>, record.stepsMetadata, id, record.name);
    const steps = [...record.steps];
    for (const [index, step] of steps.entries()) {
      if (step.transformationId !== undefined) continue;
      const planned = plan.steps.find((p) => p.step === step.step);
      if (!planned)
        throw new ConflictError(`Step ${step.step} is no longer in the plan of production ${id}.`);
      const made = resuming
        ? await transformations.findStep(record.vo, record.productionId, step.step)
        : undefined;
      const transformationId =
        made ?? (await transformations.submit(identity, planned.spec)).transformationId;
      await store.recordTransformation(id, index, transformationId, now().toISOString());
      steps[index] = { ...step, transformationId };
    }
    return { ...record, steps };
  }

  async function submit(
    identity: Identity,
    request: SubmitProductionRequest,
    idempotencyKey?: string,
  ): Promise<{ productionId: string; steps: { step: string; transformationId?: number }[] }> {
    assertCanSubmitTransformation(identity);
    // Every check runs before an id is taken or anything is written.
    const checked = planProduction(request.workflow, request.steps, 0, request.name);
    checkMetadataTypes(checked, await ports.catalog.fieldTypes(identity.vo));
    const requestHash = createHash('sha256').update(canonicalJson(request)).digest('hex');
    const createdAt = now().toISOString();
    let productionId: number;
    if (idempotencyKey === undefined) productionId = await store.allocateId();
    else {
      // A retry finds the id its key names; a lost race's allocated id is a gap, as in DIRAC.
      const claim = await store.claimKey(submitterScope(identity, idempotencyKey), {
        productionId: await store.allocateId(),
        requestHash,
        createdAt,
      });
      if (claim.requestHash !== requestHash) {
        throw new ConflictError(
          `Idempotency key ${idempotencyKey} was used for another production (${claim.productionId}); use a new key.`,
          'production.idempotency_conflict',
        );
      }
      productionId = claim.productionId;
    }
    const workflow = canonicalWorkflow(request.workflow);
    await workflows.put(workflow);
    const created: ProductionRecord = {
      productionId: String(productionId),
      vo: identity.vo,
      owner: identity.username,
      ownerSub: identity.sub,
      ownerGroup: identity.group,
      name: checked.name,
      workflowId: workflow.id,
      stepsMetadata: request.steps,
      steps: checked.steps.map((step) => ({ step: step.step, from: step.from })),
      requested: 'Active',
      createdAt,
      updatedAt: createdAt,
    };
    const fresh = await store.create(created);
    const record = fresh ? created : await read(identity, productionId);
    const done = await createMissing(identity, record, !fresh);
    return {
      productionId: done.productionId,
      steps: done.steps.map(({ step, transformationId }) => ({ step, transformationId })),
    };
  }

  async function status(identity: Identity, productionId: number): Promise<ProductionView> {
    const record = await read(identity, productionId);
    const steps: StepProgress[] = [];
    const views = new Map<string, TransformationView>();
    for (const step of record.steps) {
      if (step.transformationId === undefined) {
        steps.push({ step: step.step, type: '', state: 'Creating', files: emptyFileCounts(), jobs: {} });
        continue;
      }
      const view = await transformations.status(identity, step.transformationId);
      views.set(step.step, view);
      steps.push({
        step: step.step,
        transformationId: step.transformationId,
        type: view.type,
        state: view.state,
        files: view.files,
        jobs: view.jobs,
        ...(view.tasks !== undefined ? { tasks: view.tasks } : {}),
        taskCounts: view.taskCounts,
      });
    }
    const state = await productionState(record, steps, views);
    return {
      productionId: record.productionId,
      name: record.name,
      owner: record.owner,
      state,
      createdAt: record.createdAt,
      steps,
    };
  }

  /**
   * Completed only when every step is, and every file a step produced has joined the step after
   * it: a file registered by the last job of one step is still on its way to the next while both
   * show Completed.
   */
  async function productionState(
    record: ProductionRecord,
    steps: readonly StepProgress[],
    views: ReadonlyMap<string, TransformationView>,
  ): Promise<ProductionState> {
    const states = steps.map((step) => step.state);
    if (states.includes('Creating')) return 'New';
    if (states.every((s) => s === 'Cleaned')) return 'Cleaned';
    if (states.some((s) => s === 'Cleaning' || s === 'Cleaned')) return 'Cleaning';
    if (states.every((s) => s === 'New')) return 'New';
    if (states.some((s) => s === 'Stopped')) return 'Stopped';
    if (!states.every((s) => s === 'Completed')) return 'Active';
    for (const step of record.steps) {
      const [from] = step.from;
      const view = views.get(step.step);
      if (from === undefined || view === undefined) continue;
      const joined = Object.values(view.files).reduce((sum, n) => sum + n, 0);
      const produced = await ports.catalog.count(record.vo, [
        { key: productionIdKey, op: '=', values: [Number(record.productionId)] },
        { key: productionStepKey, op: '=', values: [from] },
      ]);
      if (joined < produced) return 'Active';
    }
    return 'Completed';
  }

  /** Applies `action` to every step's transformation; a step already there is not an error. */
  async function act(
    identity: Identity,
    productionId: number,
    action: ProductionAction,
  ): Promise<ActionResult> {
    let record = await read(identity, productionId);
    if (action === 'start') record = await createMissing(identity, record, true);
    await store.setRequested(
      productionId,
      action === 'start' ? 'Active' : action === 'stop' ? 'Stopped' : 'Cleaning',
      now().toISOString(),
    );
    const steps: ActionResult['steps'][number][] = [];
    for (const { step, transformationId } of record.steps) {
      if (transformationId === undefined) {
        steps.push({ step, done: false, message: 'no transformation yet (start creates it)' });
        continue;
      }
      try {
        await transformations[action](identity, transformationId);
        steps.push({ step, transformationId, done: true });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        // A step already where the action leads (a Completed step is started, a Cleaned one clean).
        const { state } = await transformations.status(identity, transformationId);
        if (reached[action].includes(state)) steps.push({ step, transformationId, done: true });
        else steps.push({ step, transformationId, done: false, message: error.message });
      }
    }
    if (steps.every((s) => !s.done)) {
      throw new ConflictError(
        `No step of production ${productionId} could be ${action === 'stop' ? 'stopped' : action === 'start' ? 'started' : 'cleaned'}:\n${steps.map((s) => `  ${s.step}: ${s.message}`).join('\n')}`,
        'production.invalid_state',
        { productionId: record.productionId, steps },
      );
    }
    return { productionId: record.productionId, steps };
  }

  async function list(identity: Identity, limit = 100): Promise<ProductionRecord[]> {
    return store.listByOwner(identity.vo, identity.username, limit, (record) =>
      mayAccessTransformation(identity, record),
    );
  }

  return { submit, status, act, list };
}

export type ProductionService = ReturnType<typeof createProductionService>;
