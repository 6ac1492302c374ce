/**
 * `muon cwl-runner [--outdir DIR] TOOL [JOB]`: a CWL runner in the manner of arvados-cwl-runner and
 * toil-cwl-runner, so that CWL's conformance suite (cwltest) can run through muon. It submits the
 * tool with its job file as one job, waits for the job to end, downloads its outputs into DIR and
 * prints the CWL output object with local paths on stdout.
 *
 * Exit codes follow cwltool: 0 success, 33 an unsupported requirement (muon's validator refused the
 * document for it, or cwltool on the pilot did), 1 any other failure (permanentFail).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { type ClientOptions, flagOptions } from '#cli/client.ts';
import { createJobApi, type InsertedJob } from '#cli/commands/job-api.ts';
import { createSandboxUploader, sendChunks } from '#cli/commands/job-bulk.ts';
import { planCwl } from '#cli/commands/job-submit-cwl.ts';
import { CliError } from '#cli/errors.ts';
import { noProgress, type Output } from '#cli/format.ts';
import { downloadJobOutputs } from '#cli/outputs.ts';
import { minorStatus } from '#shared/jobs/status.ts';

export const UNSUPPORTED = 33;
const PERMANENT_FAIL = 1;
const finalStatuses = new Set(['Done', 'Failed', 'Killed', 'Deleted']);

export interface RunnerOptions {
  readonly outdir?: string;
  readonly quiet?: boolean;
  /** Seconds between two looks at the job. */
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
    return /unsupported requirement|is not supported/i.test(error.message) ? UNSUPPORTED : PERMANENT_FAIL;
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
  let last = '';
  let final: { Status: string; MinorStatus: string; ApplicationStatus?: string } | undefined;
  while (!final) {
    const { body } = await api.client.request<{ Status: string; MinorStatus: string }>(
      'GET',
      `/api/jobs/${jobId}`,
    );
    const now = `${body.Status} (${body.MinorStatus})`;
    if (now !== last) say(`muon cwl-runner: job ${jobId} ${now}`);
    last = now;
    if (finalStatuses.has(body.Status)) final = body;
    else if (Date.now() > deadline) {
      err.write(`muon cwl-runner: job ${jobId} did not end within ${options.timeout} s (it is ${now})\n`);
      return PERMANENT_FAIL;
    } else await sleep((options.poll ?? 1) * 1000);
  }

  if (final.Status !== 'Done') {
    err.write(`muon cwl-runner: job ${jobId} ended ${final.Status}: ${final.MinorStatus}\n`);
    return final.MinorStatus === minorStatus.unsupportedCwlRequirement ? UNSUPPORTED : PERMANENT_FAIL;
  }
  const dir = resolve(options.outdir ?? process.cwd());
  mkdirSync(dir, { recursive: true });
  const outputs = await downloadJobOutputs(api.client, jobId, { dir, data: true });
  const object = outputs.outputObject ? readFileSync(outputs.outputObject, 'utf8') : '{}\n';
  out.write(object.endsWith('\n') ? object : `${object}\n`);
  return 0;
}

export function registerCwlRunner(program: Command): void {
  program
    .command('cwl-runner')
    .description('run a CWL tool through muon and print its output object (a CWL runner for cwltest)')
    .argument('<tool>', 'the CWL document')
    .argument('[job]', 'the input object (YAML or JSON)')
    .option('--outdir <dir>', 'where the outputs go (default: the current directory)')
    .option('--quiet', 'print nothing but the output object')
    .option('--poll <seconds>', 'seconds between looks at the job', Number)
    .option('--timeout <seconds>', 'give up after this many seconds', Number)
    // cwltest passes these to every runner; muon has no use for them.
    .option('--basedir <dir>', 'ignored (cwltest passes it)')
    .option('--no-container', 'ignored: pilots run without containers unless a job asks and the node can')
    .addHelpText(
      'after',
      '\nExit codes: 0 success, 33 unsupported requirement, 1 the job failed (as cwltool).\n' +
        'Run the CWL conformance tests through muon with: cwltest --tool "muon cwl-runner" --test conformance_tests.yaml',
    )
    .action(async (tool: string, job: string | undefined, options: RunnerOptions, command: Command) => {
      process.exitCode = await runCwl(flagOptions(command), tool, job, options);
    });
}
