/**
 * A task's job (DIRAC's WorkflowTaskAgent and its TaskManager): the transformation's CWL with an
 * input object naming the task's files as `LFN:` Files (the job wrapper downloads them), and the
 * transformation's hints plus what makes the job its task's: JobGroup the transformation, JobName
 * `<transformation>_<task>`, every File output uploaded under `/<vo>/prod/<transformation>/<task>`
 * and registered with the transformation's output metadata.
 */
import type { Identity } from '#shared/auth/identity.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { type CwlTask, CwlValidationError, validateCwl } from '#shared/cwl/index.ts';
import { holdsFiles, isRecord } from '#shared/cwl/types.ts';
import { BadRequestError, MuonError, PermanentError } from '#shared/errors.ts';
import { checkDraft, SubmissionProblems } from '#shared/jobs/submission/checks.ts';
import { type CwlSubmission, cwlSubmission } from '#shared/jobs/submission/cwl-request.ts';
import { taskIdempotencyKey, taskJobName, transformationJobGroup } from '#shared/transformations/keys.ts';
import type { TransformationRecord } from '#shared/transformations/model.ts';

/** Where a task's files go in the CWL input object. */
export interface TaskInput {
  /** The input taking the files; absent for a generation. */
  readonly name?: string;
  /** File[] (all the task's files) or File (a task of one file). */
  readonly array: boolean;
  /** File outputs of the process, uploaded as output data. */
  readonly fileOutputs: readonly string[];
}

const isArrayOfFiles = (type: unknown): boolean =>
  (typeof type === 'string' && /^File\[\]\??$/.test(type)) ||
  (Array.isArray(type) && type.some(isArrayOfFiles)) ||
  (isRecord(type) && type.type === 'array' && type.items === 'File');
const isFile = (type: unknown): boolean =>
  (typeof type === 'string' && /^File\??$/.test(type)) || (Array.isArray(type) && type.some(isFile));

/** Reads the process and finds the input for the files; a 400 naming what to fix otherwise. */
export function taskInput(
  document: unknown,
  options: { inputName?: string; generation: boolean; groupSize: number },
): { task: CwlTask; input: TaskInput } {
  let task: CwlTask;
  try {
    task = validateCwl(document);
  } catch (error) {
    if (error instanceof CwlValidationError)
      throw new BadRequestError(error.message, { code: 'cwl.invalid' });
    throw error;
  }
  const fileOutputs = Object.entries(task.outputs)
    .filter(([, output]) => holdsFiles((output as { type?: unknown }).type))
    .map(([id]) => id);
  if (options.generation) return { task, input: { array: false, fileOutputs } };
  const inputs = Object.entries(task.inputs).map(([id, input]) => ({
    id,
    type: (input as { type?: unknown }).type,
  }));
  const candidates = inputs.filter((input) => isArrayOfFiles(input.type) || isFile(input.type));
  const chosen = options.inputName
    ? inputs.find((input) => input.id === options.inputName)
    : candidates.length === 1
      ? candidates[0]
      : undefined;
  if (!chosen) {
    throw new BadRequestError(
      options.inputName
        ? `The CWL has no input "${options.inputName}"; its inputs are ${inputs.map((i) => i.id).join(', ') || 'none'}.`
        : `Name the CWL input that takes the task's files (inputName): ${candidates.length === 0 ? 'no input is a File or File[]' : `several are (${candidates.map((c) => c.id).join(', ')})`}.`,
      { code: 'transformation.input' },
    );
  }
  const array = isArrayOfFiles(chosen.type);
  if (!array && !isFile(chosen.type)) {
    throw new BadRequestError(`The CWL input "${chosen.id}" takes no File; tasks give it files.`, {
      code: 'transformation.input',
    });
  }
  if (!array && options.groupSize > 1) {
    throw new BadRequestError(
      `The CWL input "${chosen.id}" takes one File, so a task holds one file: make it File[] or use groupSize 1.`,
      { code: 'transformation.group_size' },
    );
  }
  return { task, input: { name: chosen.id, array, fileOutputs } };
}

export const taskOutputPath = (vo: string, transformationId: number, taskId: number) =>
  `/${vo}/prod/${transformationId}/${taskId}`;

/** The CWL submission of one task: the document, the input object, the hints. */
export function taskSubmission(
  transformation: TransformationRecord,
  document: Record<string, unknown>,
  input: TaskInput,
  taskId: number,
  lfns: readonly string[],
): CwlSubmission {
  const files = lfns.map((lfn) => ({ class: 'File', location: `LFN:${lfn}` }));
  const order: Record<string, unknown> = input.name ? { [input.name]: input.array ? files : files[0] } : {};
  const given = transformation.hints;
  const outputPath = taskOutputPath(transformation.vo, transformation.transformationId, taskId);
  const hints: Record<string, unknown> = {
    ...given,
    jobType: given.jobType ?? transformation.type,
    jobGroup: transformationJobGroup(transformation.transformationId),
    jobName: taskJobName(transformation.transformationId, taskId),
    ...(given.outputData === undefined && input.fileOutputs.length > 0
      ? { outputData: input.fileOutputs.map((source) => ({ source, outputPath })) }
      : {}),
    ...(Object.keys(transformation.outputMetadata).length > 0
      ? { outputMetadata: transformation.outputMetadata }
      : {}),
  };
  return { workflow: document, inputs: [order], hints };
}

/**
 * The identity a transformation's jobs are submitted as: its owner, with the properties their
 * group has now. A group that is gone makes every task fail permanently.
 */
export function ownerIdentity(config: MuonConfig, transformation: TransformationRecord): Identity {
  const group = config.virtualOrganizations[transformation.vo]?.groups[transformation.ownerGroup];
  if (!group) {
    throw new PermanentError(
      `Group ${transformation.ownerGroup} of ${transformation.vo} is no longer configured; transformation ${transformation.transformationId} cannot submit.`,
      { code: 'transformation.owner_group' },
    );
  }
  return {
    vo: transformation.vo,
    sub: transformation.ownerSub,
    username: transformation.owner,
    group: transformation.ownerGroup,
    properties: group.properties,
  };
}

/**
 * Checks, before anything is stored, that a task of the transformation makes a valid job: the
 * hints, the input object (other inputs need defaults) and the VO's limits (job type, CPU time).
 */
export function checkTaskJob(
  config: MuonConfig,
  transformation: TransformationRecord,
  document: Record<string, unknown>,
  input: TaskInput,
): void {
  const sample = input.name ? [`/${transformation.vo}/sample`] : [];
  const body = taskSubmission(transformation, document, input, 1, sample);
  const problems = new SubmissionProblems();
  try {
    const request = cwlSubmission(body, taskIdempotencyKey(transformation.transformationId, 1));
    const voConfig = config.virtualOrganizations[transformation.vo];
    if (!voConfig) throw new BadRequestError(`Unknown virtual organisation ${transformation.vo}.`);
    for (const problem of request.problems.list) problems.list.push(problem);
    for (const draft of request.drafts)
      checkDraft(
        draft,
        config,
        { name: transformation.vo, config: voConfig },
        problems,
        transformation.owner,
      );
  } catch (error) {
    if (error instanceof MuonError && error.statusCode < 500) {
      throw new BadRequestError(
        `A task of this transformation would not make a valid job: ${error.message}`,
        {
          code: 'transformation.invalid_job',
        },
      );
    }
    throw error;
  }
  if (!problems.empty) {
    throw new BadRequestError(
      `A task of this transformation would not make a valid job:\n${problems.list.join('\n').replaceAll('inputs[0]', 'task')}`,
      { code: 'transformation.invalid_job' },
    );
  }
}
