/**
 * `muon transformation ...` (dirac-cwl's `transformation submit`, DIRAC's dirac-transformation-*):
 * submit a CWL tool or workflow as a transformation with its metadata file (input query, group
 * size, plugin, output metadata, hints), follow its status, files and tasks, stop, start, extend,
 * clean. The metadata is checked here as the API checks it, so a mistake names its file before
 * anything is sent; a refusal exits with 1.
 */
import type { Command } from 'commander';
import { flagOptions, resolveClient } from '#cli/client.ts';
import { validatePacked } from '#cli/cwl/locate.ts';
import { packCwl } from '#cli/cwl/pack.ts';
import { CliError, USAGE, usageErrors } from '#cli/errors.ts';
import { formatRows, type Output, toJson } from '#cli/format.ts';
import { readMapping } from '#cli/inputs.ts';
import { formatQuery, parseQuery } from '#shared/catalog/query.ts';
import { CwlValidationError } from '#shared/cwl/errors.ts';
import { MuonError } from '#shared/errors.ts';
import { parsePlainId } from '#shared/http/path-ids.ts';
import {
  type TransformationFile,
  type TransformationTask,
  type TransformationView,
  transformationSpecSchema,
} from '#shared/transformations/model.ts';

const connect = (command: Command) => resolveClient(flagOptions(command));
const out: Output = process.stdout;

/** dirac-cwl's snake_case names, read as muon's. */
const names: Record<string, string> = {
  input_query: 'inputQuery',
  group_size: 'groupSize',
  group_bytes: 'groupBytes',
  output_metadata: 'outputMetadata',
  input_name: 'inputName',
  max_reset: 'maxReset',
};

const snakeNames = Object.fromEntries(Object.entries(names).map(([snake, camel]) => [camel, snake]));

function transformationId(text: string): string {
  if (parsePlainId(text) === undefined) throw new CliError(`"${text}" is not a transformation id.`, USAGE);
  return text;
}

/** The transformation spec of `muon transformation submit`, checked; every problem names the file. */
export function readTransformation(toolFile: string, metadataFile: string | undefined, name?: string) {
  const packed = packCwl(toolFile);
  try {
    validatePacked(packed);
  } catch (error) {
    if (error instanceof CwlValidationError) throw new CliError(`${toolFile}: ${error.message}`, 1);
    throw error;
  }
  const raw = metadataFile ? readMapping(metadataFile, 'transformation metadata') : {};
  const spec: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) spec[names[key] ?? key] = value;
  const where = metadataFile ?? toolFile;
  if (typeof spec.inputQuery === 'string') {
    try {
      spec.inputQuery = parseQuery(spec.inputQuery);
    } catch (error) {
      if (error instanceof MuonError) throw new CliError(`${where}: input_query: ${error.message}`, 1);
      throw error;
    }
  }
  const document = packed.document as Record<string, unknown>;
  spec.name = name ?? spec.name ?? document.label ?? toolFile.replace(/^.*\//, '');
  spec.cwl = document;
  const checked = transformationSpecSchema.safeParse(spec);
  if (!checked.success) {
    const problems = checked.error.issues.map((issue) => {
      const [first, ...rest] = issue.path.map(String);
      if (first === undefined) return `  (top): ${issue.message}`;
      // A required field left out: say so under the name the docs give it (dirac-cwl's), rather
      // than only what its value should have been.
      if (spec[first] === undefined && rest.length === 0)
        return `  ${snakeNames[first] ?? first}: missing (${issue.message})`;
      return `  ${issue.path.join('.')}: ${issue.message}`;
    });
    throw new CliError(`${where}: the transformation is not valid:\n${problems.join('\n')}`, 1);
  }
  return spec;
}

export function registerTransformation(program: Command): void {
  const transformation = program
    .command('transformation')
    .description('transformations: a CWL tool or workflow applied to every file a catalog query matches')
    .exitOverride(usageErrors);

  transformation
    .command('submit')
    .description('submit a CWL tool or workflow as a transformation')
    .argument('<cwl>', 'the CWL tool or workflow (packed before it is sent)')
    .option(
      '--metadata <file>',
      'YAML: input_query (or tasks), group_size, plugin, group_bytes, output_metadata, type, hints, max_reset',
    )
    .option('--name <name>', "the transformation's name (default: the CWL label or file name)")
    .option('--json', 'print the answer as JSON')
    .action(async (file: string, options: { metadata?: string; name?: string; json?: boolean }, command) => {
      const spec = readTransformation(file, options.metadata, options.name);
      const answer = await connect(command).send('POST', '/api/transformations', spec);
      if (answer.status !== 201) {
        const detail = (answer.body as { detail?: unknown })?.detail;
        throw new CliError(
          `The transformation was refused (${answer.status}): ${typeof detail === 'string' ? detail : JSON.stringify(answer.body)}`,
        );
      }
      const { transformationId: id } = answer.body as { transformationId: number };
      if (options.json) out.write(`${toJson(answer.body)}\n`);
      else out.write(`Transformation ${id} submitted. Follow it with: muon transformation status ${id}\n`);
    });

  transformation
    .command('status')
    .description('state, files by status, tasks and their jobs by status')
    .argument('<id>', 'the transformation id', transformationId)
    .option('--json', 'print the status as JSON')
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const { body } = await connect(command).request<TransformationView>(
        'GET',
        `/api/transformations/${id}`,
      );
      out.write(options.json ? `${toJson(body)}\n` : `${formatStatus(body)}\n`);
    });

  transformation
    .command('files')
    .description("the transformation's files with their status, task and failed attempts")
    .argument('<id>', 'the transformation id', transformationId)
    .option('--status <status>', 'only files of this status (Unused, Assigned, Processed, Problematic)')
    .option('--json', 'print them as JSON')
    .action(async (id: string, options: { status?: string; json?: boolean }, command: Command) => {
      const client = connect(command);
      const files: TransformationFile[] = [];
      let next: string | undefined;
      do {
        const query = new URLSearchParams({ limit: '1000' });
        if (options.status) query.set('status', options.status);
        if (next) query.set('next', next);
        const { body } = await client.request<{ files: TransformationFile[]; next?: string }>(
          'GET',
          `/api/transformations/${id}/files?${query}`,
        );
        files.push(...body.files);
        next = body.next;
      } while (next);
      if (options.json) out.write(`${toJson(files)}\n`);
      else
        out.write(
          `${formatRows(
            out,
            ['LFN', 'Status', 'Task', 'Errors', 'Reason'],
            files.map((f) => [f.lfn, f.status, f.taskId, f.errorCount, f.reason]),
          )}\n`,
        );
    });

  transformation
    .command('tasks')
    .description("the transformation's tasks: their files, job and status")
    .argument('<id>', 'the transformation id', transformationId)
    .option('--json', 'print them as JSON')
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const client = connect(command);
      const tasks: TransformationTask[] = [];
      let after: number | undefined;
      do {
        const { body } = await client.request<{ tasks: TransformationTask[]; next?: number }>(
          'GET',
          `/api/transformations/${id}/tasks?limit=1000${after ? `&after=${after}` : ''}`,
        );
        tasks.push(...body.tasks);
        after = body.next;
      } while (after);
      if (options.json) out.write(`${toJson(tasks)}\n`);
      else
        out.write(
          `${formatRows(
            out,
            ['Task', 'Status', 'Job', 'JobStatus', 'Files', 'Reason'],
            tasks.map((t) => [t.taskId, t.status, t.jobId, t.jobStatus, t.lfns.length, t.reason]),
          )}\n`,
        );
    });

  for (const [action, help] of [
    ['stop', 'stop: no new tasks; running jobs finish and their files are settled'],
    ['start', 'start a New or Stopped transformation'],
    ['clean', 'clean: kill its jobs, remove its tasks and file statuses (Cleaning, then Cleaned)'],
  ] as const) {
    transformation
      .command(action)
      .description(help)
      .argument('<id>', 'the transformation id', transformationId)
      .option('--json', 'print the answer as JSON')
      .action(async (id: string, options: { json?: boolean }, command: Command) => {
        const { body } = await connect(command).request<{ transformationId: number; state: string }>(
          'POST',
          `/api/transformations/${id}/${action}`,
        );
        out.write(
          options.json ? `${toJson(body)}\n` : `Transformation ${body.transformationId} is ${body.state}.\n`,
        );
      });
  }

  transformation
    .command('extend')
    .description('a generation: make this many more tasks')
    .argument('<id>', 'the transformation id', transformationId)
    .argument('<tasks>', 'how many tasks to add')
    .option('--json', 'print the answer as JSON')
    .action(async (id: string, tasks: string, options: { json?: boolean }, command: Command) => {
      if (!/^[1-9]\d{0,5}$/.test(tasks)) throw new CliError(`"${tasks}" is not a number of tasks.`, USAGE);
      const { body } = await connect(command).request<{ transformationId: number; state: string }>(
        'POST',
        `/api/transformations/${id}/extend`,
        { tasks: Number(tasks) },
      );
      out.write(
        options.json
          ? `${toJson(body)}\n`
          : `Transformation ${body.transformationId} extended; it is ${body.state}.\n`,
      );
    });
}

export function formatStatus(view: TransformationView): string {
  const files = view.files;
  const total = files.Unused + files.Assigned + files.Processed + files.Problematic;
  const jobs = Object.entries(view.jobs)
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  const source = view.inputQuery
    ? `query ${formatQuery(view.inputQuery)}`
    : `generation of ${view.tasks} tasks`;
  return [
    `Transformation ${view.transformationId} ${view.name} (${view.type}): ${view.state}`,
    `  ${source}; ${view.plugin}, group size ${view.groupSize}`,
    `  files: ${total} (Unused ${files.Unused}, Assigned ${files.Assigned}, Processed ${files.Processed}, Problematic ${files.Problematic})`,
    `  tasks: ${view.lastTaskId} (Created ${view.taskCounts.Created}, Submitted ${view.taskCounts.Submitted}, Done ${view.taskCounts.Done}, Failed ${view.taskCounts.Failed})`,
    `  jobs: ${jobs || 'none'}`,
  ].join('\n');
}
