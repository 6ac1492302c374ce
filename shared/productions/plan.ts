/**
 * Planning a production: the Workflow's steps cut out (split.ts), each joined with its entry of
 * the steps metadata, its input query derived from the step before, and the whole flow checked
 * before anything is created.
 *
 * A step linked to an earlier one (`in: {files: process/out}`) asks for that step's output
 * metadata: `productionId=<id> productionStep=<earlier step>` and every field of the earlier step's
 * `output_metadata`, plus the conditions its own `input_query` adds. A first step queries the
 * catalog (`input_query`) or generates (`tasks`). The checks, each a 400 naming the step:
 * - an unknown step name in the steps metadata; an invalid query, metadata value or group size;
 * - a first step with neither a query nor tasks, or a linked step given `tasks`;
 * - a step whose query the earlier step's output metadata cannot satisfy;
 * - a cycle: a step whose query matches its own outputs, or those of a step that reads from it;
 * - a query that also matches outputs of a step the Workflow does not link to it;
 * - a step whose outputs no step takes, unless the Workflow outputs them or it is the last step.
 */

import { asType, inferType } from '#shared/catalog/fields.ts';
import type { MetaType } from '#shared/catalog/query.ts';
import {
  type Condition,
  formatQuery,
  type MetaQuery,
  type MetaValue,
  matches,
  metaQuerySchema,
  parseQuery,
} from '#shared/catalog/query.ts';
import { validateCwl } from '#shared/cwl/index.ts';
import { BadRequestError, MuonError } from '#shared/errors.ts';
import { productionIdKey, productionStepKey, type StepMetadata, type StepPlan } from './model.ts';
import { cutSteps, type StepCut } from './split.ts';
import { readStepsMetadata, type StepsIssue } from './steps-metadata.ts';

/** A production that cannot run as written: every problem, each naming its step. */
export class ProductionInvalidError extends BadRequestError {
  readonly issues: readonly StepsIssue[];

  constructor(issues: readonly StepsIssue[]) {
    const message = `The production is invalid:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`;
    super(message, { code: 'production.invalid', detail: { message, issues } });
    this.issues = issues;
  }
}

export interface ProductionPlan {
  readonly name: string;
  /** In flow order: every step after the steps it reads from. */
  readonly steps: readonly StepPlan[];
}

/**
 * Plans the production with id `productionId` (any number when only checking: the checks do not
 * depend on it). Throws ProductionInvalidError, or CwlValidationError for the document itself.
 */
export function planProduction(
  document: Record<string, unknown>,
  rawSteps: unknown,
  productionId: number,
  name?: string,
): ProductionPlan {
  const task = validateCwl(document);
  const { cuts, issues } = cutSteps(task);
  const read = readStepsMetadata(rawSteps);
  issues.push(...read.issues);
  const known = Object.keys((task as { steps?: object }).steps ?? {});
  for (const step of read.names) {
    if (!known.includes(step)) {
      issues.unshift({
        path: `steps.${step}`,
        message: `the Workflow has no step "${step}"; its steps are ${known.join(', ') || '(none)'}`,
      });
    }
  }
  if (issues.length > 0) throw new ProductionInvalidError(issues);

  const productionName = name ?? label(task) ?? 'production';
  const outputs = new Map<string, Record<string, MetaValue>>();
  for (const cut of cuts) {
    const own = read.steps[cut.step]?.outputMetadata ?? {};
    for (const key of [productionIdKey, productionStepKey]) {
      if (key in own) {
        issues.push({
          path: `steps.${cut.step}.outputMetadata.${key}`,
          message: `${key} is set by muon; choose another name`,
        });
      }
    }
    outputs.set(cut.step, { [productionIdKey]: productionId, [productionStepKey]: cut.step, ...own });
  }
  const plans = new Map<string, StepPlan>();
  for (const cut of cuts) {
    const plan = planStep(cut, read.steps[cut.step] ?? {}, outputs, productionName, productionId, issues);
    if (plan) plans.set(cut.step, plan);
  }
  if (issues.length > 0) throw new ProductionInvalidError(issues);
  const order = checkFlow(cuts, plans, issues);
  if (issues.length > 0 || order === undefined) throw new ProductionInvalidError(issues);
  return { name: productionName, steps: order.map((step) => plans.get(step) as StepPlan) };
}

function planStep(
  cut: StepCut,
  meta: StepMetadata,
  outputs: ReadonlyMap<string, Record<string, MetaValue>>,
  productionName: string,
  productionId: number,
  issues: StepsIssue[],
): StepPlan | undefined {
  const at = `steps.${cut.step}`;
  const before = issues.length;
  const extra = readQuery(meta.inputQuery, `${at}.inputQuery`, issues);
  const queryRead = issues.length === before;
  let inputQuery: MetaQuery | undefined;
  if (cut.upstream) {
    if (meta.tasks !== undefined) {
      issues.push({
        path: `${at}.tasks`,
        message: `the step takes the files of ${cut.upstream.step}, so it does not generate; remove tasks`,
      });
    }
    const produced = outputs.get(cut.upstream.step) ?? {};
    const derived: Condition[] = Object.entries(produced).map(([key, value]) => ({
      key,
      op: '=',
      values: [value],
    }));
    inputQuery = [...derived, ...(extra ?? []).filter((c) => !derived.some((d) => sameCondition(c, d)))];
    if (queryRead && !matches(inputQuery, produced)) {
      issues.push({
        path: `${at}.inputQuery`,
        message: `no file of ${cut.upstream.step} can match "${formatQuery(extra ?? [])}": its outputs carry ${describe(produced)}`,
      });
    }
  } else if (extra !== undefined || !queryRead) {
    if (meta.tasks !== undefined) {
      issues.push({
        path: `${at}.tasks`,
        message: 'give a first step either input_query (catalogued data) or tasks (generation), not both',
      });
    }
    inputQuery = extra;
  } else if (meta.tasks === undefined) {
    issues.push({
      path: at,
      message:
        'the step takes no earlier step\'s outputs: give it input_query (a query over catalogued data, e.g. "datatype=RAW") or tasks: N to generate',
    });
  }
  if (inputQuery !== undefined && cut.dataInput === undefined) {
    issues.push({
      path: `workflow.steps.${cut.step}.in`,
      message: 'the step has an input query but no File or File[] input to take the files',
    });
  }
  const groupSize = meta.groupSize ?? 1;
  if (inputQuery !== undefined && cut.dataIsArray === false && groupSize > 1) {
    issues.push({
      path: `${at}.groupSize`,
      message: `input ${cut.dataInput} takes one File, so tasks hold one file: make it File[] or use group_size 1`,
    });
  }
  if (meta.plugin === 'BySize' && meta.groupBytes === undefined) {
    issues.push({ path: `${at}.groupBytes`, message: 'the BySize plugin needs group_bytes' });
  }
  const generation = inputQuery === undefined;
  return {
    step: cut.step,
    from: cut.upstream ? [cut.upstream.step] : [],
    spec: {
      name: `${productionName}/${cut.step}`,
      cwl: cut.process,
      type: meta.type ?? (generation ? 'MCSimulation' : 'DataProcessing'),
      ...(inputQuery ? { inputQuery: [...inputQuery] } : { tasks: meta.tasks ?? 1 }),
      groupSize,
      plugin: meta.plugin ?? 'Standard',
      ...(meta.groupBytes !== undefined ? { groupBytes: meta.groupBytes } : {}),
      outputMetadata: outputs.get(cut.step) ?? {},
      ...(cut.dataInput !== undefined && !generation ? { inputName: cut.dataInput } : {}),
      ...(meta.maxReset !== undefined ? { maxReset: meta.maxReset } : {}),
      hints: meta.hints ?? {},
      productionId: String(productionId),
      step: cut.step,
    },
  };
}

/** The flow order, or undefined after reporting a cycle or files that would go astray. */
function checkFlow(
  cuts: readonly StepCut[],
  plans: ReadonlyMap<string, StepPlan>,
  issues: StepsIssue[],
): string[] | undefined {
  // An edge P → C whenever C's query takes P's outputs, linked in the Workflow or not.
  const edges = new Map<string, string[]>(cuts.map((cut) => [cut.step, []]));
  for (const consumer of plans.values()) {
    const query = consumer.spec.inputQuery;
    if (query === undefined) continue;
    for (const producer of plans.values()) {
      if (!matches(query, producer.spec.outputMetadata)) continue;
      edges.get(producer.step)?.push(consumer.step);
      if (producer.step !== consumer.step && !consumer.from.includes(producer.step)) {
        issues.push({
          path: `steps.${consumer.step}.inputQuery`,
          message: `"${formatQuery(query)}" also matches the outputs of ${producer.step}, which the Workflow does not link to ${consumer.step}: add a condition that tells them apart`,
        });
      }
    }
  }
  const cycle = findCycle(edges);
  if (cycle) {
    issues.push({
      path: `steps.${cycle[0]}`,
      message: `the steps form a cycle, ${cycle.join(' → ')}: each takes the outputs of the one before, so files would flow forever`,
    });
    return undefined;
  }
  if (issues.length > 0) return undefined;
  const order = topologicalOrder(
    cuts.map((cut) => cut.step),
    edges,
  );
  const last = order[order.length - 1];
  for (const cut of cuts) {
    const taken = (edges.get(cut.step) ?? []).length > 0;
    if (taken || cut.outputOfWorkflow || cut.step === last) continue;
    issues.push({
      path: `steps.${cut.step}`,
      message:
        "no later step takes this step's outputs and the Workflow does not output them: link a step to it, or remove it",
    });
  }
  return order;
}

function findCycle(edges: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') return [...path.slice(path.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    if (state.get(node) === undefined) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return undefined;
}

/** Kahn's order, ties kept in document order. */
function topologicalOrder(nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[] {
  const indegree = new Map(nodes.map((node) => [node, 0]));
  for (const targets of edges.values()) for (const t of targets) indegree.set(t, (indegree.get(t) ?? 0) + 1);
  const order: string[] = [];
  const ready = nodes.filter((node) => indegree.get(node) === 0);
  while (ready.length > 0) {
    const node = ready.shift() as string;
    order.push(node);
    for (const next of edges.get(node) ?? []) {
      const left = (indegree.get(next) ?? 0) - 1;
      indegree.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return order;
}

function readQuery(value: unknown, path: string, issues: StepsIssue[]): MetaQuery | undefined {
  if (value === undefined) return undefined;
  try {
    if (typeof value === 'string') return parseQuery(value);
    const parsed = metaQuerySchema.safeParse(value);
    if (parsed.success) return parsed.data;
    issues.push({ path, message: parsed.error.issues.map((i) => i.message).join('; ') });
  } catch (error) {
    if (!(error instanceof MuonError)) throw error;
    issues.push({ path, message: error.message });
  }
  return undefined;
}

const sameCondition = (a: Condition, b: Condition): boolean =>
  a.key === b.key && a.op === b.op && JSON.stringify(a.values) === JSON.stringify(b.values);

const describe = (metadata: Record<string, MetaValue>): string =>
  Object.entries(metadata)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');

function label(task: unknown): string | undefined {
  const { label: text, id } = task as { label?: unknown; id?: unknown };
  if (typeof text === 'string' && text.trim() !== '') return text.trim().slice(0, 200);
  if (typeof id === 'string' && id.replace(/^#/, '') !== 'main') return id.replace(/^#/, '');
  return undefined;
}

/**
 * Metadata types against the catalog's: a step's output metadata must fit the types the VO's keys
 * already have (or the job would fail registering its outputs), and keys new to the VO must get one
 * type across the steps; a query value must fit its key's type. Throws ProductionInvalidError.
 */
export function checkMetadataTypes(plan: ProductionPlan, declared: ReadonlyMap<string, MetaType>): void {
  const issues: StepsIssue[] = [];
  const types = new Map(declared);
  const described = (type: MetaType) => (type === 'integer' ? 'an integer' : `a ${type}`);
  for (const { step, spec } of plan.steps) {
    for (const [key, value] of Object.entries(spec.outputMetadata)) {
      const type = types.get(key);
      if (type === undefined) types.set(key, inferType(value));
      else if (asType(type, value) === undefined) {
        const where = declared.has(key) ? 'in the catalog' : 'from an earlier step';
        issues.push({
          path: `steps.${step}.outputMetadata.${key}`,
          message: `${key} is ${described(type)} ${where}; ${JSON.stringify(value)} is not`,
        });
      }
    }
  }
  for (const { step, spec } of plan.steps) {
    for (const condition of spec.inputQuery ?? []) {
      const type = types.get(condition.key);
      if (type === undefined) continue;
      const numeric = type === 'integer' || type === 'float';
      for (const value of condition.values) {
        if (asType(numeric ? 'float' : type, value) !== undefined) continue;
        issues.push({
          path: `steps.${step}.inputQuery`,
          message: `${condition.key} is ${described(type)}; ${JSON.stringify(value)} is not`,
        });
      }
    }
  }
  if (issues.length > 0) throw new ProductionInvalidError(issues);
}
