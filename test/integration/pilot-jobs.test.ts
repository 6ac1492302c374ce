/**
 * End to end on the embedded runtime: jobs submitted over the API (and the CLI) run on a real
 * pilot with real payloads (cwltool, executables), and their results come back with
 * `muon job output` and `muon cwl-runner`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCwl } from '#cli/commands/cwl-runner.ts';
import { main } from '#cli/main.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import {
  getJob,
  hasStatus,
  jobIdsOf,
  payloadScratch,
  readYaml,
  submitJdl,
  waitForJob,
} from '#test/integration/support/jobs.ts';
import { quickPilotConfig, type TestRuntime } from '#test/integration/support/runtime.ts';
import { type RuntimeWithPilot, startRuntimeWithPilot } from '#test/integration/support/runtime-pilot.ts';
import { capturingStdout } from '#test/integration/support/stdout.ts';

const scratch = payloadScratch('muon-pilot-jobs-');

let runtime: TestRuntime;
let setup: RuntimeWithPilot | undefined;
const cli = (...args: string[]) =>
  main(['node', 'muon', '--api-url', runtime.apiUrl, '--token', runtime.tokens.user, ...args]);

beforeAll(async () => {
  setup = await startRuntimeWithPilot(quickPilotConfig(2), { cores: 4, scratch });
  runtime = setup.runtime;
}, 60_000);

afterAll(async () => {
  await setup?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const minorStatuses = (job: Record<string, unknown>) =>
  ((job.LoggingInfo ?? []) as { MinorStatus: string }[]).map((entry) => entry.MinorStatus);

async function historyOf(jobId: number): Promise<string[]> {
  const response = await runtime.api(`/api/jobs/${jobId}`, { as: 'admin' });
  return minorStatuses((await response.json()) as Record<string, unknown>);
}

async function submitCwl(workflowFile: string, inputsFile?: string): Promise<number> {
  const response = await runtime.api('/api/jobs', {
    method: 'POST',
    json: { workflow: readYaml(workflowFile), ...(inputsFile ? { inputs: [readYaml(inputsFile)] } : {}) },
  });
  const [jobId] = await jobIdsOf({ status: response.status, body: await response.json() });
  if (jobId === undefined) throw new Error('no job');
  return jobId;
}

const script = (name: string, text: string) => {
  const path = join(scratch, name);
  writeFileSync(path, text, { mode: 0o755 });
  return path;
};

describe('jobs on a pilot', () => {
  it('runs a CWL hello-world with an inputs file and keeps its output object', async () => {
    const jobId = await submitCwl(
      'test/fixtures/cwl/hello-world.cwl',
      'test/fixtures/cwl/hello-world.inputs.yaml',
    );
    const job = await waitForJob(runtime, jobId, hasStatus('Done', 'Failed'), 60_000);
    expect(job.Status, JSON.stringify(job)).toBe('Done');
    expect(job.MinorStatus).toBe(minorStatus.executionComplete);

    const outputs = (await (await runtime.api(`/api/jobs/${jobId}/outputs`)).json()) as {
      CWLOutput?: Record<string, { location: string; class: string }>;
    };
    const files = Object.values(outputs.CWLOutput ?? {});
    expect(files.length).toBeGreaterThan(0);
    expect(files[0]?.location).toMatch(/^sandbox:/);

    const dir = join(scratch, `out-${jobId}`);
    expect(await cli('job', 'output', String(jobId), '--dir', dir)).toBe(0);
    const local = JSON.parse(readFileSync(join(dir, 'cwl.output.json'), 'utf8')) as Record<
      string,
      { path: string }
    >;
    const first = Object.values(local)[0];
    expect(first && readFileSync(first.path, 'utf8')).toContain('Hello from muon');
  }, 90_000);

  it('runs a two-step CWL workflow', async () => {
    const jobId = await submitCwl(
      'test/fixtures/cwl/two-step-workflow.cwl',
      'test/fixtures/cwl/two-step-workflow.inputs.yaml',
    );
    const job = await waitForJob(runtime, jobId, hasStatus('Done', 'Failed'), 60_000);
    expect(job.Status, JSON.stringify(job)).toBe('Done');
  }, 90_000);

  it('runs an executable with input and output sandboxes (muon job submit and muon job output)', async () => {
    const { result: code, stdout } = await capturingStdout(() =>
      cli('job', 'submit', '--jdl', 'examples/sandbox/line-count.jdl'),
    );
    expect(code).toBe(0);
    const jobId = Number(stdout.trim().split('\n')[0]);
    const job = await waitForJob(runtime, jobId, hasStatus('Done', 'Failed'), 60_000);
    expect(job.Status, JSON.stringify(job)).toBe('Done');

    const dir = join(scratch, `out-${jobId}`);
    expect(await cli('job', 'output', String(jobId), '--dir', dir)).toBe(0);
    expect(readFileSync(join(dir, 'std.out'), 'utf8')).toMatch(/^\s*\d+ data\/numbers\.txt/);
  }, 90_000);

  it('kills a running payload on a Kill command and ends the job Killed', async () => {
    const marker = `${process.pid}.${Date.now() % 1000}`;
    const [jobId] = await jobIdsOf(
      await submitJdl(runtime, [`[ Executable = "/bin/sleep"; Arguments = "3${marker}"; CPUTime = 1000; ]`]),
    );
    if (jobId === undefined) throw new Error('no job');
    await waitForJob(runtime, jobId, (job) => job.MinorStatus === minorStatus.application, 60_000);
    const kill = await runtime.api('/api/jobs/kill', { method: 'POST', json: { job_ids: [jobId] } });
    expect(kill.status).toBe(200);
    await waitForJob(runtime, jobId, hasStatus('Killed'));
    // The payload process is gone within the watchdog's grace period.
    const deadline = Date.now() + 10_000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      try {
        execFileSync('pgrep', ['-f', `sleep 3${marker}`]);
        await new Promise((r) => setTimeout(r, 200));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
    expect((await getJob(runtime, jobId)).body.Status).toBe('Killed');
  }, 90_000);

  it('reschedules a job whose payload exits 1502, which then succeeds', async () => {
    const marker = join(scratch, 'rescheduled-once');
    const path = script(
      'retry.sh',
      `#!/bin/sh\nif [ -e ${marker} ]; then echo second run; exit 0; fi\ntouch ${marker}\nexit 1502\n`,
    );
    const [jobId] = await jobIdsOf(
      await submitJdl(runtime, [`[ Executable = "/bin/sh"; Arguments = "${path}"; CPUTime = 1000; ]`]),
    );
    if (jobId === undefined) throw new Error('no job');
    const job = await waitForJob(runtime, jobId, hasStatus('Done', 'Failed'), 60_000);
    expect(job.Status, JSON.stringify(job)).toBe('Done');
    expect(job.RescheduleCounter).toBe(1);
    const history = await historyOf(jobId);
    expect(history).toContain(minorStatus.goingToRescheduleJob);
    expect(history).toContain(minorStatus.jobRescheduled);
  }, 90_000);

  it('fails a job that exceeds its CPU time', async () => {
    const path = script('busy.sh', '#!/bin/sh\nwhile :; do :; done\n');
    const [jobId] = await jobIdsOf(
      await submitJdl(runtime, [`[ Executable = "/bin/sh"; Arguments = "${path}"; CPUTime = 1; ]`]),
    );
    if (jobId === undefined) throw new Error('no job');
    const job = await waitForJob(runtime, jobId, hasStatus('Done', 'Failed'), 60_000);
    expect(job.Status).toBe('Failed');
    expect(job.MinorStatus).toBe(minorStatus.exceededCpuTimeLimit);
  }, 90_000);

  it('never reports a payload it did not start', async () => {
    const [jobId] = await jobIdsOf(
      await submitJdl(runtime, ['[ Executable = "no-such-program-anywhere"; CPUTime = 100; ]']),
    );
    if (jobId === undefined) throw new Error('no job');
    const job = await waitForJob(runtime, jobId, hasStatus('Done', 'Failed'), 60_000);
    expect(job.Status).toBe('Failed');
    expect(job.MinorStatus).toBe(minorStatus.applicationNotFound);
    expect(await historyOf(jobId)).not.toContain(minorStatus.application);
  }, 90_000);

  it('runs a tool through muon cwl-runner and prints the output object with local paths', async () => {
    const outdir = join(scratch, 'runner');
    const out: string[] = [];
    const code = await runCwl(
      { apiUrl: runtime.apiUrl, token: runtime.tokens.user },
      'test/fixtures/cwl/hello-world.cwl',
      'test/fixtures/cwl/hello-world.inputs.yaml',
      { outdir, quiet: true, poll: 0.2 },
      { write: (chunk: string) => out.push(chunk) === 0 || true, isTTY: false } as never,
      { write: () => true, isTTY: false } as never,
    );
    expect(code).toBe(0);
    const object = JSON.parse(out.join('')) as Record<string, { path: string; location: string }>;
    const file = Object.values(object)[0];
    expect(file?.location).toMatch(/^file:\/\//);
    expect(file && existsSync(file.path)).toBe(true);
  }, 90_000);

  it('runs a workflow of several files (run:, $import, $include, file.cwl#id) through muon cwl-runner as cwltool does', async () => {
    const [workflow, inputs] = ['test/fixtures/cwl/pack/wf.cwl', 'test/fixtures/cwl/pack/wf.inputs.yaml'];
    const expected = JSON.parse(
      execFileSync('/usr/bin/cwltool', ['--quiet', '--outdir', join(scratch, 'cwltool'), workflow, inputs], {
        encoding: 'utf8',
      }),
    ) as { count: number; shout: { basename: string; checksum: string; size: number } };
    const out: string[] = [];
    const code = await runCwl(
      { apiUrl: runtime.apiUrl, token: runtime.tokens.user },
      workflow,
      inputs,
      { outdir: join(scratch, 'packed'), quiet: true, poll: 0.2 },
      { write: (chunk: string) => out.push(chunk) === 0 || true, isTTY: false } as never,
      { write: () => true, isTTY: false } as never,
    );
    expect(code).toBe(0);
    const object = JSON.parse(out.join('')) as typeof expected & { shout: { path: string } };
    expect(object.count).toBe(expected.count);
    expect(object.shout).toMatchObject({
      basename: expected.shout.basename,
      checksum: expected.shout.checksum,
      size: expected.shout.size,
    });
    expect(readFileSync(object.shout.path, 'utf8')).toBe('HELLO\nHELLO\nHELLO\n');
  }, 90_000);
});
