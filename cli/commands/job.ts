/**
 * `muon job ...`: submit, follow and control jobs, under DIRAC's and dirac-cwl's command names.
 * Usage errors exit with 2, API errors with 1.
 */
import type { Command } from 'commander';
import { flagOptions } from '#cli/client.ts';
import { type BulkAction, createJobApi } from '#cli/commands/job-api.ts';
import {
  parseColumn,
  parseCondition,
  parseCount,
  parseJobIds,
  parseParameter,
  parseSort,
} from '#cli/commands/job-conditions.ts';
import { controlJobs, jobIdsOfGroup } from '#cli/commands/job-control.ts';
import { showJdl, showParameters, showPeek, showWhy } from '#cli/commands/job-inspect.ts';
import { fetchJobOutput, type OutputOptions } from '#cli/commands/job-output.ts';
import { searchJobs, showLogging, showStatus, showSummary } from '#cli/commands/job-query.ts';
import { type SubmitOptions, submitJobs } from '#cli/commands/job-submit.ts';
import { waitForJobs } from '#cli/commands/job-wait.ts';
import { CliError, USAGE, usageErrors } from '#cli/errors.ts';
import { maxPerPage } from '#shared/jobs/search/query.ts';

const connect = (command: Command) => () => createJobApi(flagOptions(command));
const collect = (value: string, previous: string[] = []) => [...previous, value];
const out = process.stdout;

export function registerJob(program: Command): void {
  const job = program.command('job').description('submit, follow and control jobs').exitOverride(usageErrors);

  job
    .command('submit')
    .description('submit a CWL task (one job per input file) or JDL files')
    .argument(
      '[workflow]',
      'the CWL document (YAML or JSON); the files it names (run:, $import, $include) are packed in',
    )
    .option('--input-files <files...>', 'CWL input objects (YAML or JSON), one job each')
    .option('--hints <file>', 'scheduling hints (a dirac:Job hint as YAML), overriding the document’s')
    .option('--jdl <files...>', 'submit these JDL files instead of a CWL task')
    .option('--idempotency-key <key>', 'running the command again with this key never duplicates jobs')
    .option('-v, --verbose', 'print a table of the new jobs instead of their ids')
    .option('--json', 'print the API answer as JSON')
    .addHelpText(
      'after',
      `
Local files named by the inputs (File and Directory locations that are paths, not SB:, LFN: or
URLs) and by a JDL's InputSandbox are packed into one input sandbox per job and uploaded first.

Examples:
  muon job submit hello-world.cwl --input-files inputs.yaml
  muon job submit task.cwl --input-files a.yaml b.yaml --hints hints.yaml
  muon job submit --jdl hello.jdl parametric.jdl`,
    )
    .action((workflow: string | undefined, options: SubmitOptions, command: Command) =>
      submitJobs(connect(command), workflow, options),
    );

  job
    .command('status')
    .description('the status of jobs')
    .argument('[ids...]', 'job ids (space or comma separated)')
    .option('--json', 'print the API answer as JSON')
    .action((ids: string[], options: { json?: boolean }, command: Command) => {
      const jobIds = parseJobIds(ids);
      return showStatus(connect(command)(), jobIds, options.json ?? false, out);
    });

  job
    .command('search')
    .description('find jobs by their attributes, a page at a time')
    .option('--condition <condition>', 'e.g. "Status eq Waiting", "JobID in 1,2,3" (repeatable)', collect)
    .option('--parameter <column>', 'a column to show (repeatable; default: a status overview)', collect)
    .option('--sort <sort>', 'e.g. "JobID desc" (repeatable)', collect)
    .option('--page <n>', 'the page to show', '1')
    .option('--per-page <n>', 'jobs per page', '100')
    .option('--json', 'print the API answer as JSON')
    .addHelpText(
      'after',
      `
Operators: eq, neq, gt, lt, like, "not like", regex, in, "not in". The values of in and "not in"
are a JSON list or a comma-separated list. Times accept partial timestamps ("2026-05").

Examples:
  muon job search --condition "Status eq Waiting" --condition "JobName like hello%"
  muon job search --condition "Status in [\\"Done\\", \\"Failed\\"]" --sort "JobID desc" --per-page 20`,
    )
    .action((options: SearchOptions, command: Command) => {
      const request = {
        ...(options.parameter ? { parameters: options.parameter.map(parseParameter) } : {}),
        conditions: (options.condition ?? []).map((text) => parseCondition(text)),
        sort: (options.sort ?? []).map((text) => parseSort(text)),
        page: parseCount(options.page, '--page'),
        perPage: parseCount(options.perPage, '--per-page', 1, maxPerPage),
        json: options.json ?? false,
      };
      return searchJobs(connect(command)(), request, out);
    });

  job
    .command('summary')
    .description('count jobs grouped by columns')
    .option('--group <column>', 'a column to group by (repeatable), e.g. Status, Site', collect)
    .option('--condition <condition>', 'only jobs meeting it, as in search (repeatable)', collect)
    .option('--json', 'print the API answer as JSON')
    .action((options: { group?: string[]; condition?: string[]; json?: boolean }, command: Command) => {
      if (!options.group) throw new CliError('Give at least one --group column, e.g. --group Status.', USAGE);
      const grouping = options.group.map((column) => parseColumn(column, '--group'));
      const conditions = (options.condition ?? []).map((text) => parseCondition(text));
      return showSummary(connect(command)(), grouping, conditions, options.json ?? false, out);
    });

  job
    .command('logging')
    .description("a job's status history")
    .argument('[id]', 'the job id')
    .option('--json', 'print the API answer as JSON')
    .action((id: string | undefined, options: { json?: boolean }, command: Command) => {
      const ids = parseJobIds(id === undefined ? [] : [id]);
      if (ids.length > 1) throw new CliError('logging shows one job; give one id.', USAGE);
      return showLogging(connect(command)(), ids[0] as number, options.json ?? false, out);
    });

  job
    .command('output')
    .description("download a job's output sandboxes, and its output data with --data")
    .argument('<id>', 'the job id')
    .option('--dir <dir>', 'where to put them (default: ./job-<id>)')
    .option('--data', 'also download the output data (lfn: outputs) into <dir>/outputs/')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      `
The sandboxes are unpacked into the directory, and the job's CWL output object is written to
<dir>/cwl.output.json with the locations of the unpacked files as local file:// URLs. Without
--data, outputs uploaded to storage elements keep their lfn: locations.`,
    )
    .action((id: string, options: OutputOptions, command: Command) => {
      const ids = parseJobIds([id]);
      if (ids.length > 1) throw new CliError('output takes one job; give one id.', USAGE);
      return fetchJobOutput(connect(command)().client, ids[0] as number, options, out);
    });

  job
    .command('wait')
    .description('wait until jobs have ended (exit 0 if all are Done, 1 if any is not, 3 at --timeout)')
    .argument('[ids...]', 'job ids (space or comma separated)')
    .option('--interval <seconds>', 'seconds between looks at several jobs', '2')
    .option('--timeout <seconds>', 'give up after this many seconds')
    .option('--json', 'print the ended jobs as JSON')
    .action(
      (ids: string[], options: { interval: string; timeout?: string; json?: boolean }, command: Command) =>
        waitForJobs(
          connect(command)(),
          parseJobIds(ids),
          {
            interval: parseSeconds(options.interval, '--interval'),
            ...(options.timeout === undefined ? {} : { timeout: parseSeconds(options.timeout, '--timeout') }),
            json: options.json ?? false,
          },
          out,
          process.stderr,
        ),
    );

  const oneJob = (what: string) => (id: string) => {
    const ids = parseJobIds([id]);
    if (ids.length > 1) throw new CliError(`${what} takes one job; give one id.`, USAGE);
    return ids[0] as number;
  };
  job
    .command('why')
    .description('why a waiting job is not matched: its requirements against the pilots seen')
    .argument('<id>', 'the job id')
    .option('--json', 'print the API answer as JSON')
    .action((id: string, options: { json?: boolean }, command: Command) =>
      showWhy(connect(command)(), oneJob('why')(id), options.json ?? false, out),
    );
  job
    .command('parameters')
    .description(
      "a job's parameters: its pilot, and what its heartbeats reported (CPU, memory, load, disk, wall clock)",
    )
    .argument('<id>', 'the job id')
    .option('--json', 'print the parameters as JSON')
    .action((id: string, options: { json?: boolean }, command: Command) =>
      showParameters(connect(command)(), oneJob('parameters')(id), options.json ?? false, out),
    );
  job
    .command('peek')
    .description("the last lines of a running job's output, as its last heartbeat sent them")
    .argument('<id>', 'the job id')
    .action((id: string, _options: unknown, command: Command) =>
      showPeek(connect(command)(), oneJob('peek')(id), out),
    );
  job
    .command('jdl')
    .description("a job's JDL (a CWL job's description, written as JDL)")
    .argument('<id>', 'the job id')
    .option('--json', 'print the stored description as JSON')
    .action((id: string, options: { json?: boolean }, command: Command) =>
      showJdl(connect(command)(), oneJob('jdl')(id), options.json ?? false, out),
    );

  const actions: [BulkAction, string][] = [
    ['kill', 'kill jobs (Waiting ones at once, running ones through their pilot)'],
    ['delete', 'delete jobs'],
    ['reschedule', 'send jobs back to be matched again (Failed, Killed, Done, ...)'],
  ];
  for (const [action, description] of actions) {
    job
      .command(action)
      .description(description)
      .argument('[ids...]', 'job ids (space or comma separated)')
      .option('--job-group <group>', 'every job of this job group (JobGroup), instead of ids')
      .option('--json', 'print the API answer as JSON')
      .action(async (ids: string[], options: { json?: boolean; jobGroup?: string }, command: Command) => {
        if (options.jobGroup !== undefined && ids.length > 0) {
          throw new CliError(`Give job ids or --job-group, not both.`, USAGE);
        }
        const api = connect(command)();
        const jobIds =
          options.jobGroup === undefined ? parseJobIds(ids) : await jobIdsOfGroup(api, options.jobGroup);
        return controlJobs(api, action, jobIds, options.json ?? false, out);
      });
  }
}

/** A positive number of seconds for an option, or a usage error. */
function parseSeconds(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new CliError(`${option} is a positive number of seconds, not "${text}".`, USAGE);
  }
  return value;
}

interface SearchOptions {
  condition?: string[];
  parameter?: string[];
  sort?: string[];
  page: string;
  perPage: string;
  json?: boolean;
}
