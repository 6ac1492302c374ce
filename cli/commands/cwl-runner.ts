/**
 * `muon cwl-runner [--outdir DIR] TOOL [JOB]`: a CWL runner in the manner of arvados-cwl-runner and
 * toil-cwl-runner, so that CWL's conformance suite (cwltest) can run through muon. It submits the
 * tool with its job file as one job, waits for the job to end, downloads its outputs into DIR and
 * prints the CWL output object with local paths on stdout.
 *
 * Exit codes follow cwltool: 0 success; 33 only for a requirement muon does not run (its validator
 * refused the document for that alone, or cwltool on the pilot exited 33, UnsupportedRequirement),
 * and the message names it; 1 anything else: an invalid document or input object, a failed job.
 * A failed job's own error lines (cwltool's, from std.err in its output sandbox) are printed too.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { type ApiClient, type ClientOptions, flagOptions } from '#cli/client.ts';
import { createJobApi, type InsertedJob } from '#cli/commands/job-api.ts';
import { createSandboxUploader, sendChunks } from '#cli/commands/job-bulk.ts';
import { planCwl } from '#cli/commands/job-submit-cwl.ts';
import { lookAtJob } from '#cli/commands/job-wait.ts';
import { CliError } from '#cli/errors.ts';
import { noProgress, type Output } from '#cli/format.ts';
import { downloadJobOutputs, unpackOutputSandboxes } from '#cli/outputs.ts';
import { CwlValidationError, UNSUPPORTED_REQUIREMENT } from '#shared/cwl/index.ts';
import { isEnded, type JobStatus, minorStatus } from '#shared/jobs/status.ts';
import type { JobSandboxes } from '#shared/sandboxes/model.ts';

export const UNSUPPORTED = 33;
const PERMANENT_FAIL = 1;

export interface RunnerOptions {
  readonly outdir?: string;
  readonly quiet?: boolean;
  /** Seconds between two looks at the job, for an API that does not hold a look until it changes. */
  readonly poll?: number;
  /** Give up (and exit 1) after this many seconds. */
  readonly timeout?: number;
}

/** Runs one tool to completion; returns the exit code. Progress goes to `err`, the object to `out`. */
export async function runCwl(
  client: ClientOptions,
  tool: string,
  job: string | undefined,
  options: RunnerOptions,
  out: Output = process.stdout,
  err: Output = process.stderr,
): Promise<number> {
  const say = (line: string) => {
    if (!options.quiet) err.write(`${line}\n`);
  };
  let plan: ReturnType<typeof planCwl>;
  try {
    plan = planCwl({ workflowFile: tool, inputFiles: job ? [job] : [] });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    err.write(`muon cwl-runner: ${error.message}\n`);
    const requirements = unsupportedRequirements(error);
    if (requirements.length === 0) return PERMANENT_FAIL;
    err.write(`muon cwl-runner: unsupported requirement: ${requirements.join(', ')}\n`);
    return UNSUPPORTED;
  }

  const api = createJobApi(client);
  const submitted: InsertedJob[] = [];
  const chunks = await plan.prepare(createSandboxUploader(api.client), noProgress);
  await sendChunks(
    api,
    plan.path,
    chunks,
    { value: crypto.randomUUID(), given: false },
    noProgress,
    submitted,
  );
  const jobId = submitted[0]?.JobID;
  if (jobId === undefined) throw new CliError('The API accepted the submission but returned no job.');
  say(`muon cwl-runner: job ${jobId} submitted`);

  const deadline = options.timeout ? Date.now() + options.timeout * 1000 : Number.POSITIVE_INFINITY;
  const final = await followJob(api.client, jobId, submitted[0]?.Status, deadline, options, say);
  if (!final) {
    err.write(`muon cwl-runner: job ${jobId} did not end within ${options.timeout} s\n`);
    return PERMANENT_FAIL;
  }

  if (final.Status !== 'Done') {
    const errors = await jobErrorLines(api.client, jobId);
    for (const line of errors) err.write(`  ${line}\n`);
    err.write(`muon cwl-runner: job ${jobId} ended ${final.Status}: ${final.MinorStatus}\n`);
    if (final.MinorStatus !== minorStatus.unsupportedCwlRequirement) return PERMANENT_FAIL;
    const named = errors.find((line) => /requirement/i.test(line)) ?? 'cwltool exited 33 (see above)';
    err.write(`muon cwl-runner: unsupported requirement on the pilot: ${named}\n`);
    return UNSUPPORTED;
  }
  const dir = resolve(options.outdir ?? process.cwd());
  mkdirSync(dir, { recursive: true });
  const outputs = await downloadJobOutputs(api.client, jobId, { dir, data: true });
  const object = outputs.outputObject ? readFileSync(outputs.outputObject, 'utf8') : '{}\n';
  out.write(object.endsWith('\n') ? object : `${object}\n`);
  return 0;
}

interface JobState {
  readonly Status: string;
  readonly MinorStatus: string;
}

/**
 * The job once it has ended, or undefined at the deadline. Each look is a long poll (`?wait`,
 * shared/jobs/wait.ts) that answers when the Status changes, so the runner learns of the end at
 * once and sends a request per status, not one every few tenths of a second. An API that answers
 * at once anyway (one without long polls) is asked again after `--poll` seconds.
 */
async function followJob(
  client: ApiClient,
  jobId: number,
  submittedAs: string | undefined,
  deadline: number,
  options: RunnerOptions,
  say: (line: string) => void,
): Promise<JobState | undefined> {
  let status = submittedAs;
  for (;;) {
    const asked = Date.now();
    if (asked >= deadline) return undefined;
    const body = await lookAtJob(client, jobId, deadline, status);
    if (body.Status !== status) say(`muon cwl-runner: job ${jobId} ${body.Status} (${body.MinorStatus})`);
    if (isEnded(body.Status as JobStatus)) return body;
    const early = body.Status === status && Date.now() - asked < 500;
    status = body.Status;
    if (early) await sleep((options.poll ?? 0.2) * 1000);
  }
}

/**
 * The requirements a refused document names when they are its only problems; empty when anything
 * else is wrong with it (an invalid field, another CWL version, $import), which is exit 1.
 */
function unsupportedRequirements(error: CliError): string[] {
  const cause = error.cause;
  if (!(cause instanceof CwlValidationError) || cause.issues.length === 0) return [];
  const names = cause.issues.map((issue) =>
    issue.code === UNSUPPORTED_REQUIREMENT
      ? (/(?:^|[.\s])requirements\.(.+)$/.exec(issue.path)?.[1] ?? issue.path)
      : undefined,
  );
  return names.every((name) => name !== undefined) ? [...new Set(names)] : [];
}

/** The last error lines of a failed job's std.err (cwltool's), from its output sandbox; [] if none. */
async function jobErrorLines(client: ApiClient, jobId: number, limit = 16): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'muon-cwl-runner-'));
  try {
    const { body } = await client.request<JobSandboxes>('GET', `/api/jobs/${jobId}/sandbox`);
    await unpackOutputSandboxes(client, body.Output, dir);
    const file = ['std.err', 'std.err.tail'].map((name) => join(dir, name)).find((path) => existsSync(path));
    return file === undefined ? [] : errorLines(readFileSync(file, 'utf8'), limit);
  } catch {
    return []; // the job's status says enough; its logs are a courtesy
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * From the last line cwltool marks ERROR on, or else the last lines; at most `limit`, keeping the
 * first two and the end of a longer stretch (a traceback's last line says what went wrong).
 */
export function errorLines(text: string, limit: number): string[] {
  const lines = text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(Boolean);
  const start = lines.findLastIndex((line) => /^ERROR\b|\sERROR\s/.test(line));
  if (start === -1) return lines.slice(-limit);
  const tail = lines.slice(start);
  return tail.length <= limit ? tail : [...tail.slice(0, 2), '...', ...tail.slice(3 - limit)];
}

/** A number of seconds: anything else (`abc`, 0, -1) is a usage error, not NaN and no timeout at all. */
function seconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError('a positive number of seconds is needed.');
  return value;
}

export function registerCwlRunner(program: Command): void {
  program
    .command('cwl-runner')
    .description('run a CWL tool through muon and print its output object (a CWL runner for cwltest)')
    .argument('<tool>', 'the CWL document')
    .argument('[job]', 'the input object (YAML or JSON)')
    .option('--outdir <dir>', 'where the outputs go (default: the current directory)')
    .option('--quiet', 'print nothing but the output object')
    .option(
      '--poll <seconds>',
      'seconds between looks at a job, if the API does not long-poll (default 0.2)',
      seconds,
    )
    .option('--timeout <seconds>', 'give up after this many seconds', seconds)
    // cwltest passes these to every runner; muon has no use for them.
    .option('--basedir <dir>', 'ignored (cwltest passes it)')
    .option('--no-container', 'ignored: pilots run without containers unless a job asks and the node can')
    .addHelpText(
      'after',
      '\nExit codes (as cwltool): 0 success, 33 a requirement muon does not run (named in the message),\n' +
        '1 an invalid document or input object, or a failed job; 2 a wrong option or a missing argument.\n' +
        "Run CWL's conformance tests through muon with: npm run conformance -- --tags required",
    )
    .action(async (tool: string, job: string | undefined, options: RunnerOptions, command: Command) => {
      process.exitCode = await runCwl(flagOptions(command), tool, job, options);
    });
}
