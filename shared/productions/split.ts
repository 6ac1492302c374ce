/**
 * A production's Workflow cut into its top-level steps, each a standalone CWL process that a
 * transformation can run: the step's `run`, with the requirements and hints it inherits from the
 * step and the Workflow (the most specific wins, as CWL says), and with the values the Workflow
 * would have passed it (workflow input defaults, step defaults) as input defaults, since a
 * transformation's jobs get no input object besides their files.
 *
 * What the cut cannot carry is refused: scatter and `when` on a top-level step (the transformation
 * groups files instead), `valueFrom`, a step that takes files from two places, a required input
 * nothing gives a value.
 */
import type { CwlTask } from '#shared/cwl/index.ts';
import { describeType, holdsFiles, isOptional, isRecord } from '#shared/cwl/types.ts';
import type { StepsIssue } from './steps-metadata.ts';

type Fields = Record<string, unknown>;

/** One top-level step, cut out. */
export interface StepCut {
  readonly step: string;
  /** The standalone CWL document (a CommandLineTool, ExpressionTool or Workflow). */
  readonly process: Fields;
  /** The step this one takes its files from (a `source: other/output` link), if any. */
  readonly upstream?: { readonly step: string; readonly output: string };
  /**
   * The input that takes the task's files: the one linked to the step before, or, for a first
   * step, the one linked to a File workflow input without a default.
   */
  readonly dataInput?: string;
  /** Whether a File or File[] takes the files; a File takes exactly one per task. */
  readonly dataIsArray?: boolean;
  /** Whether one of the Workflow's outputs comes from this step. */
  readonly outputOfWorkflow: boolean;
}

/** Requirements that only mean something to a Workflow; a tool does not inherit them. */
const workflowFeatures = new Set([
  'SubworkflowFeatureRequirement',
  'ScatterFeatureRequirement',
  'MultipleInputFeatureRequirement',
  'StepInputExpressionRequirement',
]);

/** Cuts a validated Workflow (normal form, see shared/cwl/normalize.ts) into its steps, in document order. */
export function cutSteps(task: CwlTask): { cuts: StepCut[]; issues: StepsIssue[] } {
  const issues: StepsIssue[] = [];
  const workflow = task as unknown as Fields;
  if (workflow.class !== 'Workflow') {
    issues.push({
      path: 'workflow',
      message: `a production is a CWL Workflow whose steps become transformations; this is a ${String(workflow.class)} (submit it with muon transformation submit)`,
    });
    return { cuts: [], issues };
  }
  const steps = record(workflow.steps);
  const inputs = record(workflow.inputs);
  const feeding = new Set(
    Object.values(record(workflow.outputs)).flatMap((output) =>
      sources(isRecord(output) ? output.outputSource : undefined).map((source) => source.split('/')[0]),
    ),
  );
  if (Object.keys(steps).length === 0)
    issues.push({ path: 'workflow.steps', message: 'the Workflow has no steps' });
  const cuts: StepCut[] = [];
  for (const [id, value] of Object.entries(steps)) {
    const cut = cutStep(id, record(value), workflow, inputs, steps, issues);
    if (cut) cuts.push({ ...cut, outputOfWorkflow: feeding.has(id) });
  }
  return { cuts, issues };
}

function cutStep(
  id: string,
  step: Fields,
  workflow: Fields,
  workflowInputs: Fields,
  steps: Fields,
  issues: StepsIssue[],
): Omit<StepCut, 'outputOfWorkflow'> | undefined {
  const at = `workflow.steps.${id}`;
  const before = issues.length;
  if (step.scatter !== undefined) {
    issues.push({
      path: `${at}.scatter`,
      message:
        'a production step is not scattered: its transformation groups the files into tasks (group_size)',
    });
  }
  if (step.when !== undefined) {
    issues.push({ path: `${at}.when`, message: 'a production step always runs; remove when' });
  }
  const run = step.run;
  if (!isRecord(run)) {
    issues.push({ path: `${at}.run`, message: 'the step runs no process the document holds' });
    return undefined;
  }
  const { id: _id, ...body } = run;
  const toolInputs: Fields = { ...record(run.inputs) };
  let upstream: { step: string; output: string; input: string } | undefined;
  let fromWorkflow: string | undefined;
  for (const [name, link] of Object.entries(record(step.in))) {
    const where = `${at}.in.${name}`;
    const { source, valueFrom, default: fallback } = record(link);
    if (valueFrom !== undefined) {
      issues.push({
        path: where,
        message: 'valueFrom is not carried into a transformation; give the value as a default',
      });
      continue;
    }
    const links = sources(source);
    if (links.length > 1) {
      issues.push({ path: where, message: 'a production step input takes one source, not several' });
      continue;
    }
    const target = toolInputs[name];
    if (!isRecord(target)) continue; // CWL lets a step pass values its process does not take.
    const [link0] = links;
    const slash = link0?.indexOf('/') ?? -1;
    if (link0 !== undefined && slash > 0 && link0.slice(0, slash) in steps) {
      const from = { step: link0.slice(0, slash), output: link0.slice(slash + 1), input: name };
      if (upstream) {
        issues.push({
          path: where,
          message: `the step already takes files from ${upstream.step}/${upstream.output} (in.${upstream.input}); a transformation reads its files from one input`,
        });
      } else upstream = from;
      continue;
    }
    const given = link0 === undefined ? undefined : record(workflowInputs[link0]);
    const value = given?.default !== undefined ? given.default : fallback;
    if (value !== undefined) toolInputs[name] = { ...target, default: value };
    else if (given && holdsFiles(given.type) && fromWorkflow === undefined) fromWorkflow = name;
  }

  const dataInput = upstream?.input ?? fromWorkflow;
  let dataIsArray: boolean | undefined;
  if (dataInput !== undefined) {
    const type = record(toolInputs[dataInput]).type;
    if (!holdsFiles(type)) {
      issues.push({
        path: `${at}.in.${dataInput}`,
        message: `takes the files of the step before, so it must be File or File[], not ${describeType(type)}`,
      });
    }
    dataIsArray = /\[\]/.test(describeType(type));
  }
  for (const [name, input] of Object.entries(toolInputs)) {
    const { type, default: value } = record(input);
    if (name === dataInput || value !== undefined || isOptional(type)) continue;
    issues.push({
      path: `${at}.in.${name}`,
      message:
        'nothing gives this input a value: a production runs without an input object, so give the workflow input a default, or the step a default',
    });
  }

  const isWorkflow = run.class === 'Workflow';
  const inherit = (field: 'requirements' | 'hints') => {
    const merged = { ...record(workflow[field]), ...record(step[field]), ...record(run[field]) };
    for (const cls of Object.keys(merged)) if (!isWorkflow && workflowFeatures.has(cls)) delete merged[cls];
    return Object.keys(merged).length > 0 ? { [field]: merged } : {};
  };
  const process: Fields = {
    cwlVersion: workflow.cwlVersion,
    ...(workflow.$namespaces ? { $namespaces: workflow.$namespaces } : {}),
    ...(workflow.$schemas ? { $schemas: workflow.$schemas } : {}),
    ...body,
    inputs: toolInputs,
    ...inherit('requirements'),
    ...inherit('hints'),
  };
  if (issues.length > before) return undefined;
  return {
    step: id,
    process,
    ...(upstream ? { upstream: { step: upstream.step, output: upstream.output } } : {}),
    ...(dataInput !== undefined ? { dataInput, dataIsArray } : {}),
  };
}

const record = (value: unknown): Fields => (isRecord(value) ? value : {});

function sources(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
}
