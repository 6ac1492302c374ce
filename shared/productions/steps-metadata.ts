/**
 * Reading the steps metadata (`steps.yaml`): one entry per top-level step, keyed by step id.
 *
 * muon's names are camelCase (`groupSize`, `inputQuery`, `outputMetadata`, `maxReset`,
 * `groupBytes`); the snake_case spellings dirac-cwl writes are read as the same fields. dirac-cwl's
 * older per-step shape, `execution-hooks: {group_size: {input: n}}` and `scheduling: {priority,
 * sites, platform}`, is read too: its group size becomes `groupSize`, scheduling becomes job hints.
 * What muon cannot honour (`hook_plugin`, `configuration`) is refused with what to write instead.
 */
import { isRecord } from '#shared/cwl/types.ts';
import { type StepMetadata, type StepsMetadata, stepMetadataSchema } from './model.ts';

export interface StepsIssue {
  /** `steps.<step>.<field>` or `workflow.steps.<step>...`. */
  readonly path: string;
  readonly message: string;
}

const aliases: Readonly<Record<string, keyof StepMetadata>> = {
  input_query: 'inputQuery',
  group_size: 'groupSize',
  group_bytes: 'groupBytes',
  output_metadata: 'outputMetadata',
  max_reset: 'maxReset',
  job_type: 'type',
  jobType: 'type',
};
const hookKeys = new Set(['execution-hooks', 'execution_hooks', 'executionHooks']);

/** The steps metadata with one spelling per field, and what is wrong with it. */
export function readStepsMetadata(raw: unknown): {
  steps: StepsMetadata;
  names: string[];
  issues: StepsIssue[];
} {
  const issues: StepsIssue[] = [];
  const steps: StepsMetadata = {};
  if (raw === undefined || raw === null) return { steps, names: [], issues };
  if (!isRecord(raw)) {
    issues.push({ path: 'steps', message: 'expected a mapping of step ids to their metadata' });
    return { steps, names: [], issues };
  }
  for (const [step, entry] of Object.entries(raw)) {
    const path = `steps.${step}`;
    const fields = entry === null ? {} : entry;
    if (!isRecord(fields)) {
      issues.push({
        path,
        message: 'expected a mapping (type, group_size, input_query, output_metadata...)',
      });
      continue;
    }
    const flat = flatten(fields, path, issues);
    const parsed = stepMetadataSchema.safeParse(flat);
    if (parsed.success) {
      steps[step] = parsed.data;
      continue;
    }
    for (const issue of parsed.error.issues) {
      const where = issue.path.length > 0 ? `${path}.${issue.path.join('.')}` : path;
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}; known: ${known()}`
          : issue.message;
      issues.push({ path: where, message });
    }
  }
  return { steps, names: Object.keys(raw), issues };
}

const known = () => Object.keys(stepMetadataSchema.shape).join(', ');

function flatten(
  fields: Record<string, unknown>,
  path: string,
  issues: StepsIssue[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    const name = aliases[key] ?? key;
    if (name in out) issues.push({ path: `${path}.${key}`, message: `${name} is given twice` });
    else out[name] = value;
  };
  for (const [key, value] of Object.entries(fields)) {
    if (hookKeys.has(key)) {
      if (!isRecord(value)) {
        issues.push({ path: `${path}.${key}`, message: 'expected a mapping (group_size, input_query...)' });
        continue;
      }
      for (const [hookKey, hookValue] of Object.entries(value)) {
        const at = `${path}.${key}.${hookKey}`;
        if (hookKey === 'hook_plugin') {
          issues.push({
            path: at,
            message:
              'muon has no hook plugins: a step takes its files from its input query; use plugin: Standard or BySize to group them',
          });
        } else if (hookKey === 'configuration') {
          issues.push({
            path: at,
            message:
              "give the step's parameters as defaults of the workflow inputs (or the step's in:) instead",
          });
        } else if ((hookKey === 'group_size' || hookKey === 'groupSize') && isRecord(hookValue)) {
          // dirac-cwl's {input_name: n}: the input is the one wired to the step before.
          const sizes = Object.values(hookValue);
          if (sizes.length !== 1) {
            issues.push({ path: at, message: 'give one group size, as {input: n} or n' });
          } else put('groupSize', sizes[0]);
        } else put(hookKey, hookValue);
      }
    } else if (key === 'scheduling') {
      if (!isRecord(value))
        issues.push({ path: `${path}.${key}`, message: 'expected {priority, sites, platform}' });
      else out.hints = { ...(isRecord(out.hints) ? out.hints : {}), ...value };
    } else if (key === 'hints') {
      if (!isRecord(value))
        issues.push({ path: `${path}.${key}`, message: 'expected a mapping of dirac:Job fields' });
      else out.hints = { ...(isRecord(out.hints) ? out.hints : {}), ...value };
    } else put(key, value);
  }
  return out;
}
