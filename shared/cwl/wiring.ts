/**
 * A workflow's wiring, checked as cwltool's static checker does: every source names a workflow
 * input or a step output that exists, step outputs exist in the step's run, required inputs of a
 * run are connected, scatter names step inputs, the feature requirements that scatter, several
 * sources, valueFrom and nested workflows need are declared, and steps do not form a cycle.
 */
import { type CwlIssue, didYouMean, issueAt, type PathSegment } from './errors.ts';
import { isOptional, isRecord } from './types.ts';

type Fields = Record<string, unknown>;
const fields = (value: unknown): Fields => (isRecord(value) ? value : {});
const stringList = (value: unknown): string[] => {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item) => typeof item === 'string') : [];
};

/** Checks one step's own contents and run; returns the requirement classes in force for the step. */
export type StepVisitor = (step: Fields, path: PathSegment[]) => ReadonlySet<string>;

export function checkWiring(
  workflow: Fields,
  path: PathSegment[],
  classes: ReadonlySet<string>,
  issues: CwlIssue[],
  visitStep: StepVisitor,
): void {
  const inputs = fields(workflow.inputs);
  const steps = fields(workflow.steps);
  const outsOf = new Map(Object.entries(steps).map(([id, step]) => [id, stringList(fields(step).out)]));
  const dependencies = new Map<string, Set<string>>();
  const report = (at: PathSegment[], message: string) => issues.push(issueAt(at, message));

  const checkSource = (source: string, at: PathSegment[], consumer?: string): void => {
    const slash = source.indexOf('/');
    if (slash === -1) {
      if (source in inputs) return;
      const known = [
        ...Object.keys(inputs),
        ...[...outsOf].flatMap(([s, outs]) => outs.map((o) => `${s}/${o}`)),
      ];
      report(
        at,
        `unknown source "${source}": not a workflow input or step output${didYouMean(source, known)}`,
      );
      return;
    }
    const [stepId, outId] = [source.slice(0, slash), source.slice(slash + 1)];
    const outs = outsOf.get(stepId);
    if (outs === undefined) {
      report(
        at,
        `unknown source "${source}": there is no step "${stepId}"${didYouMean(stepId, outsOf.keys())}`,
      );
    } else if (!outs.includes(outId)) {
      const listed = outs.join(', ') || 'none';
      report(at, `unknown source "${source}": step "${stepId}" has no output "${outId}" (out: ${listed})`);
    } else if (consumer !== undefined) {
      dependencies.get(consumer)?.add(stepId);
    }
  };
  const requireFeature = (cls: string, at: PathSegment[], what: string, within: ReadonlySet<string>) => {
    if (!within.has(cls)) report(at, `${what} needs ${cls} in the workflow's requirements`);
  };

  for (const [stepId, rawStep] of Object.entries(steps)) {
    const step = fields(rawStep);
    const at = [...path, 'steps', stepId];
    dependencies.set(stepId, new Set());
    const stepClasses = visitStep(step, at);
    const stepInputs = fields(step.in);
    for (const [inputId, rawInput] of Object.entries(stepInputs)) {
      const input = fields(rawInput);
      const sources = stringList(input.source);
      const sourcePath = [...at, 'in', inputId, 'source'];
      for (const [index, source] of sources.entries()) {
        checkSource(source, Array.isArray(input.source) ? [...sourcePath, index] : sourcePath, stepId);
      }
      if (sources.length > 1) {
        requireFeature('MultipleInputFeatureRequirement', sourcePath, 'more than one source', stepClasses);
      }
      if (input.valueFrom !== undefined) {
        requireFeature(
          'StepInputExpressionRequirement',
          [...at, 'in', inputId, 'valueFrom'],
          'valueFrom',
          stepClasses,
        );
      }
    }
    const scatter = stringList(step.scatter);
    for (const name of scatter) {
      if (!(name in stepInputs)) report([...at, 'scatter'], `"${name}" is not one of the step's inputs`);
    }
    if (scatter.length > 0)
      requireFeature('ScatterFeatureRequirement', [...at, 'scatter'], 'scatter', stepClasses);
    checkRun(step, stepInputs, at, report, (cls, what) =>
      requireFeature(cls, [...at, 'run'], what, stepClasses),
    );
  }

  for (const [outputId, output] of Object.entries(fields(workflow.outputs))) {
    const outputSource = fields(output).outputSource;
    const sources = stringList(outputSource);
    const at = [...path, 'outputs', outputId, 'outputSource'];
    for (const [index, source] of sources.entries()) {
      checkSource(source, Array.isArray(outputSource) ? [...at, index] : at);
    }
    if (sources.length > 1)
      requireFeature('MultipleInputFeatureRequirement', at, 'more than one outputSource', classes);
  }
  const cycle = findCycle(dependencies);
  if (cycle) report([...path, 'steps'], `the steps ${cycle.join(' → ')} depend on each other in a cycle`);
}

/** The step against its run: outputs it names exist, required inputs are connected. */
function checkRun(
  step: Fields,
  stepInputs: Fields,
  at: PathSegment[],
  report: (at: PathSegment[], message: string) => void,
  requireFeature: (cls: string, what: string) => void,
): void {
  const run = fields(step.run);
  if (run.class === 'Workflow') requireFeature('SubworkflowFeatureRequirement', 'a nested workflow');
  if (isRecord(run.outputs)) {
    const runOutputs = run.outputs;
    const listed = Object.keys(runOutputs).join(', ') || 'none';
    for (const [index, id] of stringList(step.out).entries()) {
      if (!(id in runOutputs))
        report([...at, 'out', index], `"${id}" is not an output of the step's run (outputs: ${listed})`);
    }
  }
  for (const [id, parameter] of Object.entries(fields(run.inputs))) {
    const { type, default: fallback } = fields(parameter);
    const wired = stepInputs[id] === undefined ? undefined : fields(stepInputs[id]);
    const provided =
      wired !== undefined &&
      (wired.source !== undefined || wired.default !== undefined || wired.valueFrom !== undefined);
    if (!provided && fallback === undefined && type !== undefined && !isOptional(type)) {
      report([...at, 'in'], `the run's required input "${id}" is not connected`);
    }
  }
}

/** A dependency cycle among steps as the list of step ids, the first repeated at the end. */
function findCycle(dependencies: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...trail.slice(trail.indexOf(node)), node];
    state.set(node, 'visiting');
    trail.push(node);
    for (const next of dependencies.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of dependencies.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}
