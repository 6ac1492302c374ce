/**
 * What a task asks of the machine that runs it, read from CWL `requirements` and `hints`: the
 * matcher compares this with what a pilot offers. Each tool gets its effective requirements by
 * CWL's inheritance rules; a workflow runs on one pilot, so it needs the most any of its tools
 * needs (steps may run side by side under `cwltool --parallel`, but reserving the largest step is
 * the rule DIRAC users know from `NumberOfProcessors`).
 */
import { formatPath, type PathSegment } from './errors.ts';
import { isCudaRequirement, type Namespaces } from './namespaces.ts';
import type { CwlTask } from './schema.ts';
import { isRecord } from './types.ts';

/** CWL's defaults when a process says nothing (v1.2 ResourceRequirement). */
export const DEFAULT_CORES = 1;
export const DEFAULT_RAM_MB = 256;

export interface CwlResources {
  /** Cores to reserve: the largest `coresMin` (fractions round up). */
  cores: number;
  /** The largest `coresMax`, when any process gives one the job could use. */
  coresMax?: number;
  /** Memory to reserve in mebibytes (CWL's unit): the largest `ramMin`. */
  ramMb: number;
  ramMaxMb?: number;
  gpu: boolean;
  /** GPUs to reserve: the largest `cudaDeviceCountMin` (1 when CUDA is required without a count). */
  gpuCount: number;
  /** True when any process has a DockerRequirement, as requirement or hint. */
  docker: boolean;
  /** The `dockerPull` images named, without repeats. */
  dockerImages: string[];
  /** Values that are expressions, which only the running job can evaluate; the default was used. */
  unresolved: UnresolvedValue[];
}

export interface UnresolvedValue {
  path: string;
  expression: string;
  assumed: number;
}

type Fields = Record<string, unknown>;

/** The requirements and hints of one level: a process, or a workflow step around its run. */
interface Level {
  path: PathSegment[];
  requirements: Fields;
  hints: Fields;
}

/** Reads the resources of a task validated by validateCwl. */
export function extractRequirements(task: CwlTask): CwlResources {
  const resources: CwlResources = {
    cores: 0,
    ramMb: 0,
    gpu: false,
    gpuCount: 0,
    docker: false,
    dockerImages: [],
    unresolved: [],
  };
  visit(task, [], [], task.$namespaces, resources);
  // A workflow without steps runs nothing; it still gets the defaults.
  resources.cores ||= DEFAULT_CORES;
  resources.ramMb ||= DEFAULT_RAM_MB;
  // Maxima of different steps: one step's coresMax must not cap another step's coresMin.
  if (resources.coresMax !== undefined) resources.coresMax = Math.max(resources.coresMax, resources.cores);
  if (resources.ramMaxMb !== undefined) resources.ramMaxMb = Math.max(resources.ramMaxMb, resources.ramMb);
  return resources;
}

const fieldsOf = (value: unknown): Fields => (isRecord(value) ? value : {});

/** Walks to every tool, carrying the levels that enclose it (innermost first). */
function visit(
  process: Fields,
  path: PathSegment[],
  outer: Level[],
  namespaces: Namespaces | undefined,
  into: CwlResources,
): void {
  const levels = [
    { path, requirements: fieldsOf(process.requirements), hints: fieldsOf(process.hints) },
    ...outer,
  ];
  if (process.class !== 'Workflow') {
    measure(levels, namespaces, into);
    return;
  }
  for (const [id, step] of Object.entries(fieldsOf(process.steps))) {
    const { requirements, hints, run } = fieldsOf(step);
    const at = [...path, 'steps', id];
    const stepLevel = { path: at, requirements: fieldsOf(requirements), hints: fieldsOf(hints) };
    if (isRecord(run)) visit(run, [...at, 'run'], [stepLevel, ...levels], namespaces, into);
  }
}

/**
 * CWL's precedence: the innermost `requirements` entry wins (tool, then step, then workflow);
 * hints count only when no level requires the class, again innermost first.
 */
function effective(
  levels: readonly Level[],
  matches: (cls: string) => boolean,
): [PathSegment[], Fields] | undefined {
  for (const kind of ['requirements', 'hints'] as const) {
    for (const level of levels) {
      const cls = Object.keys(level[kind]).find(matches);
      if (cls !== undefined) return [[...level.path, kind, cls], fieldsOf(level[kind][cls])];
    }
  }
  return undefined;
}

function measure(levels: readonly Level[], namespaces: Namespaces | undefined, into: CwlResources): void {
  const [at, resources] = effective(levels, (cls) => cls === 'ResourceRequirement') ?? [[], {}];
  // CWL: a min given alone is also the max, and a max given alone is also the min.
  const range = (resource: 'cores' | 'ram', fallback: number): [number, number | undefined] => {
    const [minField, maxField] = [`${resource}Min`, `${resource}Max`];
    const min = resources[minField] ?? resources[maxField];
    const minPath = [...at, resources[minField] === undefined ? maxField : minField];
    const max =
      resources[maxField] === undefined
        ? undefined
        : quantity(resources[maxField], [...at, maxField], fallback, into);
    return [quantity(min, minPath, fallback, into), max];
  };
  const [cores, coresMax] = range('cores', DEFAULT_CORES);
  const [ram, ramMax] = range('ram', DEFAULT_RAM_MB);
  into.cores = Math.max(into.cores, cores);
  into.ramMb = Math.max(into.ramMb, ram);
  if (coresMax !== undefined) into.coresMax = Math.max(into.coresMax ?? 0, coresMax);
  if (ramMax !== undefined) into.ramMaxMb = Math.max(into.ramMaxMb ?? 0, ramMax);

  const cuda = effective(levels, (cls) => isCudaRequirement(cls, namespaces));
  if (cuda) {
    const [cudaAt, fields] = cuda;
    into.gpu = true;
    const count = quantity(fields.cudaDeviceCountMin, [...cudaAt, 'cudaDeviceCountMin'], 1, into);
    into.gpuCount = Math.max(into.gpuCount, count);
  }

  const docker = effective(levels, (cls) => cls === 'DockerRequirement');
  if (docker) {
    const image = docker[1].dockerPull;
    into.docker = true;
    if (typeof image === 'string' && !into.dockerImages.includes(image)) into.dockerImages.push(image);
  }
}

/** A number rounded up, or the fallback (recorded) when the value is an expression or absent. */
function quantity(value: unknown, path: PathSegment[], fallback: number, into: CwlResources): number {
  if (typeof value === 'number') return Math.ceil(value);
  if (typeof value === 'string') {
    const where = formatPath(path);
    // A tool reached through several steps reports its expression once.
    if (!into.unresolved.some((entry) => entry.path === where)) {
      into.unresolved.push({ path: where, expression: value, assumed: fallback });
    }
  }
  return fallback;
}
