import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLocalFile } from '#local/home.ts';
import { getJob, hasStatus, waitForJob } from '#test/integration/support/jobs.ts';
import { type MuonRun as Run, runMuon } from '#test/integration/support/muon-cli.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

// The CLI must find the API through local.json alone.
const { MUON_API_URL: _url, MUON_TOKEN: _token, ...cliEnv } = process.env;

/** Runs `muon <args>` as a user would, against the test runtime through its local.json. */
function muon(home: string, ...args: string[]): Promise<Run> {
  return runMuon(args, { ...cliEnv, MUON_HOME: home, NO_COLOR: '1' });
}

const ids = (run: Run) => run.stdout.trim().split('\n').map(Number);
const waiting = (runtime: TestRuntime, jobIds: number[]) =>
  Promise.all(jobIds.map((id) => waitForJob(runtime, id, hasStatus('Waiting'))));
/** The one job a submission printed, once it is Waiting. */
const waitingJob = (runtime: TestRuntime, submitted: Run) =>
  waitForJob(runtime, ids(submitted)[0] as number, hasStatus('Waiting'));

describe('muon job (the CLI against a running WMS)', () => {
  let runtime: TestRuntime;
  let home: string;
  let scratch: string;
  const run = (...args: string[]) => muon(home, ...args);

  beforeAll(async () => {
    const config = testConfig();
    // A rescheduled job waits a second, not minutes, before it is scheduled again.
    config.jobs.rescheduleDelays = [1];
    runtime = await startTestRuntime({ config, visibilityTimeoutSeconds: 2 });
    home = mkdtempSync(join(tmpdir(), 'muon-cli-home-'));
    scratch = mkdtempSync(join(tmpdir(), 'muon-cli-files-'));
    writeLocalFile(home, { apiUrl: runtime.apiUrl, tokens: runtime.tokens });
  });
  afterAll(async () => {
    await runtime?.stop();
    for (const dir of [home, scratch]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('submits the hello-world CWL task with an inputs file and prints its job id', async () => {
    const submitted = await run(
      'job',
      'submit',
      'examples/hello-world/hello-world.cwl',
      '--input-files',
      'examples/hello-world/inputs.yaml',
    );
    expect(submitted, submitted.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(submitted.stdout).toMatch(/^\d+\n$/);
    const job = await waitingJob(runtime, submitted);
    expect(job).toMatchObject({ JobName: 'hello-world', Owner: 'alice' });
    expect((job.Description as { inputs: unknown }).inputs).toEqual({ message: 'Hello from muon' });
  });

  it('submits the parametric JDL as three jobs', async () => {
    const submitted = await run('job', 'submit', '--jdl', 'examples/parametric/parametric.jdl', '--json');
    expect(submitted.code, submitted.stderr).toBe(0);
    const inserted = JSON.parse(submitted.stdout) as { JobID: number; Status: string }[];
    expect(inserted.map((job) => job.Status)).toEqual(['Received', 'Received', 'Received']);
    const jobs = await waiting(
      runtime,
      inserted.map((job) => job.JobID),
    );
    expect(jobs.map((job) => job.JobName)).toEqual(['param_0', 'param_1', 'param_2']);
    expect(jobs.map((job) => (job.Description as { arguments: string }).arguments)).toEqual(['a', 'b', 'c']);
  });

  it('uploads the local file of the sandbox example, and the job passes JobSanity to Waiting', async () => {
    const submitted = await run(
      'job',
      'submit',
      'examples/sandbox/line-count.cwl',
      '--input-files',
      'examples/sandbox/inputs.yaml',
    );
    expect(submitted.code, submitted.stderr).toBe(0);
    const job = await waitingJob(runtime, submitted);
    const description = job.Description as {
      inputs: { data: { location: string } };
      inputSandbox: string[];
    };
    const location = description.inputs.data.location;
    expect(location).toMatch(/^SB:SandboxSE\|\/S3\/.+\/sha256:[0-9a-f]{64}\.tar\.gz#data\/numbers\.txt$/);
    expect(description.inputSandbox).toEqual([location.replace(/#.*$/, '')]);
    expect((job.LoggingInfo as { MinorStatus: string }[]).map((h) => h.MinorStatus)).toContain(
      'JobScheduling',
    );
  });

  it('ships the local files named by a hints file in a sandbox of their own', async () => {
    writeFileSync(join(scratch, 'settings.txt'), 'verbose\n');
    writeFileSync(join(scratch, 'hints.yaml'), 'priority: 3\ninputSandbox: [settings.txt]\n');
    const submitted = await run(
      'job',
      'submit',
      'examples/sandbox/line-count.cwl',
      '--input-files',
      'examples/sandbox/inputs.yaml',
      '--hints',
      join(scratch, 'hints.yaml'),
    );
    expect(submitted.code, submitted.stderr).toBe(0);
    const job = await waitingJob(runtime, submitted);
    expect(job.UserPriority).toBe(3);
    const { inputSandbox } = job.Description as { inputSandbox: string[] };
    expect(inputSandbox).toHaveLength(2);
    for (const reference of inputSandbox) expect(reference).toMatch(/^SB:SandboxSE\|.+\.tar\.gz$/);
  });

  it('uploads the local InputSandbox files of a JDL and names the sandbox in the JDL', async () => {
    const submitted = await run('job', 'submit', '--jdl', 'examples/sandbox/line-count.jdl');
    expect(submitted.code, submitted.stderr).toBe(0);
    const job = await waitingJob(runtime, submitted);
    const { inputSandbox } = job.Description as { inputSandbox: string[] };
    expect(inputSandbox).toHaveLength(1);
    expect(inputSandbox[0]).toMatch(/^SB:SandboxSE\|\/S3\/.+\.tar\.gz$/);
  });

  it('never duplicates jobs when the same submission is sent again with its idempotency key', async () => {
    const args = ['job', 'submit', '--jdl', 'examples/hello-world/hello.jdl', '--idempotency-key', 'once'];
    const first = await run(...args);
    const again = await run(...args);
    expect(first.code, first.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
  });

  it('shows status, search, summary and logging piped as tab-separated lines, without a header', async () => {
    const [jobId] = ids(await run('job', 'submit', '--jdl', 'examples/hello-world/hello.jdl'));
    await waiting(runtime, [jobId as number]);

    const status = await run('job', 'status', String(jobId));
    expect(status.code, status.stderr).toBe(0);
    const rows = status.stdout.trim().split('\n');
    expect(rows).toHaveLength(1);
    // JobID, Status, MinorStatus, ApplicationStatus, Site, JobName, LastUpdateTime
    expect(rows[0]?.split('\t')).toEqual([
      String(jobId),
      'Waiting',
      'Pilot Agent Submission',
      'Unknown',
      'ANY',
      'hello',
      expect.stringMatching(/^\d{4}-/),
    ]);

    const search = await run(
      'job',
      'search',
      '--condition',
      'JobName like param_%',
      '--parameter',
      'JobID',
      '--parameter',
      'JobName',
      '--sort',
      'JobID desc',
      '--per-page',
      '2',
    );
    expect(search.code, search.stderr).toBe(0);
    const lines = search.stdout.trim().split('\n');
    expect(lines.map((line) => line.split('\t')[1])).toEqual(['param_2', 'param_1']);
    // The page's place goes to stderr, so that stdout holds the rows alone.
    expect(search.stderr).toBe('jobs 1-2 of 3\n');

    const json = await run('job', 'search', '--condition', `JobID eq ${jobId}`, '--json');
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ JobID: jobId, Status: 'Waiting' })]);

    const summary = await run('job', 'summary', '--group', 'Status', '--group', 'Owner');
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toMatch(/(^|\n)Waiting\talice\t\d+\n/);

    const logging = await run('job', 'logging', String(jobId));
    expect(logging.code, logging.stderr).toBe(0);
    const history = logging.stdout.trim().split('\n');
    // Status, MinorStatus, ApplicationStatus, StatusTime, Source
    expect(history[0]).toMatch(/^Received\tJob accepted\tUnknown\t\S+\tJobManager$/);
    expect(history.at(-1)).toMatch(/^Waiting\tPilot Agent Submission\t.*JobScheduling$/);
  });

  it('kills one job and reschedules it back to Waiting, reporting each job', async () => {
    const submitted = await run('job', 'submit', '--jdl', 'examples/hello-world/hello.jdl');
    const [jobId] = ids(submitted);
    await waiting(runtime, [jobId as number]);

    const kill = await run('job', 'kill', String(jobId));
    expect(kill.code, kill.stderr).toBe(0);
    expect(kill.stdout).toBe(`${jobId}\tOK\tKilled\n`);
    expect((await getJob(runtime, jobId as number)).body.Status).toBe('Killed');

    const reschedule = await run('job', 'reschedule', String(jobId));
    expect(reschedule.code, reschedule.stderr).toBe(0);
    expect(reschedule.stdout).toMatch(new RegExp(`${jobId}\\s+OK\\s+\\w+`));
    await waiting(runtime, [jobId as number]);
  });

  it('kills a job group, and waits on jobs: 3 at the timeout, 1 when one ended other than Done', async () => {
    const jdl = join(scratch, 'grouped.jdl');
    writeFileSync(
      jdl,
      '[ JobName = "grouped"; JobGroup = "cli-group-1"; Executable = "true"; CPUTime = 3600; ]\n',
    );
    const jobIds = [
      ...ids(await run('job', 'submit', '--jdl', jdl)),
      ...ids(await run('job', 'submit', '--jdl', jdl)),
    ];
    await waiting(runtime, jobIds);

    const early = await run('job', 'wait', ...jobIds.map(String), '--timeout', '1', '--interval', '0.2');
    expect(early.code).toBe(3);
    expect(early.stderr).toMatch(new RegExp(`Not ended after 1 s: job ${jobIds.join(', ')}\\.`));

    const both = await run('job', 'kill', 'x', '--job-group', 'cli-group-1');
    expect(both).toMatchObject({ code: 2, stderr: expect.stringMatching(/ids or --job-group, not both/) });
    const kill = await run('job', 'kill', '--job-group', 'cli-group-1');
    expect(kill.code, kill.stderr).toBe(0);
    expect(kill.stdout).toBe(jobIds.map((id) => `${id}\tOK\tKilled\n`).join(''));
    const none = await run('job', 'reschedule', '--job-group', 'no-such-group');
    expect(none).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/No job in job group "no-such-group"/),
    });

    // One job: a long poll; several: a search. Both print a line per ended job when piped.
    const one = await run('job', 'wait', String(jobIds[0]));
    expect(one.code).toBe(1);
    expect(one.stdout).toMatch(new RegExp(`^${jobIds[0]}\tKilled\t`));
    const all = await run('job', 'wait', ...jobIds.map(String), '--json');
    expect(all.code).toBe(1);
    expect(JSON.parse(all.stdout).map((job: { Status: string }) => job.Status)).toEqual(['Killed', 'Killed']);
    // Eight CLI runs, each a Node.js start: slow on a loaded machine.
  }, 180_000);

  it('explains why a waiting job is not matched, shows its JDL, parameters and output peek, and lists pilots', async () => {
    const [jobId] = ids(await run('job', 'submit', '--jdl', 'examples/hello-world/hello.jdl'));
    await waiting(runtime, [jobId as number]);

    const why = await run('job', 'why', String(jobId));
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).toMatch(/pilot/i);
    // Piped: the requirements as `name<TAB>value` lines.
    expect(why.stdout).toMatch(/\ncpuTime\t3600\n/);
    const whyJson = JSON.parse((await run('job', 'why', String(jobId), '--json')).stdout);
    expect(whyJson).toMatchObject({ JobID: jobId, Waiting: true });

    const jdl = await run('job', 'jdl', String(jobId));
    expect(jdl.code, jdl.stderr).toBe(0);
    expect(jdl.stdout).toMatch(/Executable = "echo";/);

    const parameters = await run('job', 'parameters', String(jobId));
    expect(parameters.code, parameters.stderr).toBe(0);

    const peek = await run('job', 'peek', String(jobId));
    expect(peek).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/has reported no output yet \(it is Waiting\)/),
    });
    // No pilot ran a job of alice's here: the pilot search shows her none.
    expect(await run('pilot', 'list')).toMatchObject({ code: 0, stdout: 'No pilots found.\n' });
    expect(JSON.parse((await run('pilot', 'summary', '--json')).stdout)).toEqual([]);
    const badColumn = await run('pilot', 'list', '--condition', 'Sitee eq X');
    expect(badColumn).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/"Sitee" is not a pilot column \(did you mean Site\?\)/),
    });
    const two = await run('job', 'why', '1,2');
    expect(two).toMatchObject({ code: 2, stderr: expect.stringMatching(/why takes one job/) });
    // Eight CLI runs, each a Node.js start: slow on a loaded machine.
  }, 180_000);

  it('exits with 1 and the reason per job when some jobs could not be changed', async () => {
    const [jobId] = ids(await run('job', 'submit', '--jdl', 'examples/hello-world/hello.jdl'));
    await waiting(runtime, [jobId as number]);
    const kill = await run('job', 'kill', String(jobId), '999999');
    expect(kill.code).toBe(1);
    expect(kill.stdout).toMatch(new RegExp(`${jobId}\\s+OK\\s+Killed`));
    expect(kill.stdout).toMatch(/999999\s+Failed\s+Job 999999 does not exist\./);

    const none = await run('job', 'delete', '999998', '--json');
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout)).toEqual({ detail: 'Job 999998 does not exist.' });
  });

  it('reports bad usage with exit code 2 and a message, never a stack trace', async () => {
    const badYaml = join(scratch, 'bad.yaml');
    writeFileSync(badYaml, 'message: [unclosed\nother: 1\n');
    const cases: [string[], RegExp][] = [
      [['job', 'status'], /^muon: Give at least one job id\.\n$/],
      [['job', 'kill', 'twelve'], /"twelve" is not a job id/],
      [['job', 'search', '--condition', 'Status is Waiting'], /unknown operator "is"/],
      [['job', 'search', '--condition', 'Status'], /"<parameter> <operator> <value>"/],
      [['job', 'search', '--per-page', 'many'], /--per-page must be a whole number/],
      [['job', 'summary'], /Give at least one --group column/],
      [['job', 'submit', 'nowhere.cwl'], /Cannot read the CWL document nowhere\.cwl: no such file\./],
      [
        ['job', 'submit', 'examples/hello-world/hello-world.cwl', '--input-files', badYaml],
        /bad\.yaml: line 2, column \d+: /,
      ],
      [['job', 'submit'], /Give a CWL file to submit/],
      [['job', 'submit', 'examples/hello-world/hello.jdl'], /To submit a JDL, use --jdl/],
      [['job', 'status', '--colour'], /unknown option '--colour'/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(...args)));
    cases.forEach(([args, message], i) => {
      const result = results[i] as Run;
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });
  });

  it('reports what the API refuses with exit code 1, and a step that runs a file that does not exist with 2', async () => {
    // A file that is missing is a usage error, as an unparsable one is (docs/jobs.md).
    const external = await run('job', 'submit', 'test/fixtures/cwl/invalid/external-run.cwl');
    expect(external.code).toBe(2);
    expect(external.stderr).toMatch(
      /external-run\.cwl:\d+:\d+: step "echo" runs "echo.cwl", which does not exist/,
    );

    const page = await run('job', 'search', '--page', '1000');
    expect(page.code).toBe(1);
    expect(page.stderr).toMatch(/Page 1000 is past the end: \d+ job\(s\) match/);

    const logging = await run('job', 'logging', '999999');
    expect(logging.code).toBe(1);
    expect(logging.stderr).toMatch(/\(404\): Job 999999 does not exist\./);
  });

  // Last: its thousand jobs keep the executors busy for a while.
  it('sends a submission of more than 1000 jobs in requests of 1000, and a retry duplicates none', async () => {
    const jdl = join(scratch, 'bulk.jdl');
    writeFileSync(jdl, 'Executable = "echo"; Arguments = "%s"; JobName = "bulk_%n"; Parameters = 1001;');
    const first = await run('job', 'submit', '--jdl', jdl, '--idempotency-key', 'bulk');
    expect(first.code, first.stderr).toBe(0);
    const jobIds = ids(first);
    expect(new Set(jobIds).size).toBe(1001);
    const again = await run('job', 'submit', '--jdl', jdl, '--idempotency-key', 'bulk');
    expect(ids(again)).toEqual(jobIds);
    // The last, short page is always counted exactly (a full first page of a large table may say
    // "total not counted"). Piped, the rows go to stdout and the page line to stderr.
    const count = await run(
      'job',
      'search',
      '--condition',
      'JobName like bulk_%',
      '--per-page',
      '1000',
      '--page',
      '2',
    );
    expect(count.stderr).toBe('jobs 1001-1001 of 1001\n');
  });
});
