/**
 * Push mode end to end: a push pilot on the "edge node" (this process) matches jobs for an HPC
 * site, runs their wrappers here and submits only their payloads to a real single-node Slurm
 * cluster, with the payloads cut off from the network. Jobs are submitted over the API and the
 * CLI, as users do, and their outputs come back with `muon job output`.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '#cli/main.ts';
import type { RunningPilot } from '#pilot/pilot.ts';
import { startPushPilot } from '#pilot/push/push-pilot.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { computingElementConfig } from '#test/integration/support/computing-elements.ts';
import { hasStatus, jobIdsOf, readYaml, submitJdl, waitForJob } from '#test/integration/support/jobs.ts';
import { quickPilotConfig, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';
import { startSlurm, type TestSlurm } from '#test/integration/support/slurm.ts';
import { capturingStdout } from '#test/integration/support/stdout.ts';

const scratch = mkdtempSync(join(tmpdir(), 'muon-push-slurm-'));
const workDir = join(scratch, 'shared');
const site = 'HPC.slurm.test';

function config(): MuonConfig {
  const base = quickPilotConfig(1);
  return {
    ...base,
    sites: {
      ...base.sites,
      [site]: {
        storageElements: ['LOCAL-DISK'],
        banned: false,
        computingElements: {
          hpc: computingElementConfig({
            type: 'Slurm',
            processors: 4,
            settings: {
              partition: 'debug',
              push: { nodes: 2, coresPerNode: 4, maxJobs: 8, pollSeconds: 0.3, workDir },
            },
          }),
        },
      },
    },
  };
}

let slurm: TestSlurm;
let runtime: TestRuntime;
let pilot: RunningPilot;
let reference: string;

beforeAll(async () => {
  const settings = config();
  [slurm, runtime] = await Promise.all([
    startSlurm('muonpush'),
    startTestRuntime({ config: settings, scheduleEveryMs: 500 }),
  ]);
  pilot = startPushPilot({
    config: settings,
    configDir: resolve('config'),
    apiUrl: runtime.apiUrl,
    token: runtime.tokens.pilot,
    site,
    ce: 'hpc',
    env: slurm.env,
    idleStopSeconds: 3600,
  });
  reference = await pilot.reference;
}, 60_000);

afterAll(async () => {
  await pilot?.stop({ force: true });
  await runtime?.stop();
  await slurm?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs `muon` as a user; what it printed on stdout. */
async function cli(...args: string[]): Promise<string> {
  const { result: code, stdout } = await capturingStdout(() =>
    main(['node', 'muon', '--api-url', runtime.apiUrl, '--token', runtime.tokens.user, ...args]),
  );
  if (code !== 0) throw new Error(`muon ${args.join(' ')} exited ${code}: ${stdout}`);
  return stdout;
}

/** A JDL file and its input sandbox files in a directory of their own; the job's id once submitted. */
async function submitJdlFile(name: string, jdl: string, files: Record<string, string>): Promise<number> {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text, { mode: 0o755 });
  writeFileSync(join(dir, 'job.jdl'), jdl);
  const jobId = Number((await cli('job', 'submit', '--jdl', join(dir, 'job.jdl'))).trim().split('\n')[0]);
  if (!Number.isInteger(jobId)) throw new Error(`no job id for ${name}`);
  return jobId;
}

async function jobOf(jobId: number): Promise<Record<string, unknown>> {
  return (await (await runtime.api(`/api/jobs/${jobId}`, { as: 'admin' })).json()) as Record<string, unknown>;
}

type LogEntry = { Status: string; MinorStatus: string; ApplicationStatus: string };
const historyOf = async (jobId: number) => ((await jobOf(jobId)).LoggingInfo ?? []) as LogEntry[];

/** The Slurm job ids the pilot reported for a job ("Submitting To CE", ApplicationStatus "Slurm job N"). */
async function slurmIdsOf(jobId: number): Promise<string[]> {
  return (await historyOf(jobId))
    .filter((entry) => entry.MinorStatus === minorStatus.submittingToCe)
    .map((entry) => /^Slurm job (\d+)$/.exec(entry.ApplicationStatus)?.[1] ?? '?');
}

const slurmState = (id: string) =>
  execFileSync('squeue', ['-h', '-t', 'all', '-o', '%T', '-j', id], {
    env: slurm.env,
    encoding: 'utf8',
  }).trim();

async function outputOf(jobId: number): Promise<string> {
  const dir = join(scratch, `out-${jobId}`);
  await cli('job', 'output', String(jobId), '--dir', dir);
  return dir;
}

const wait = (jobId: number) => waitForJob(runtime, jobId, hasStatus('Done', 'Failed', 'Killed'), 90_000);

describe('push mode on Slurm', () => {
  it('registers as a Slurm pilot of the HPC site under a push:// reference', async () => {
    expect(reference).toMatch(/^push:\/\/[^/]+\/[0-9a-f-]{36}$/);
    const response = await runtime.api(`/api/pilots/info?reference=${encodeURIComponent(reference)}`, {
      as: 'admin',
    });
    const info = (await response.json()) as Record<string, unknown>;
    expect(info).toMatchObject({ site, gridCE: 'hpc', ceType: 'Slurm', status: 'Running' });
  });

  it('runs JDL jobs and a CWL workflow in Slurm, with input and output sandboxes', async () => {
    // One at a time: the CLI's output is captured from process.stdout.
    const jdlJobs: number[] = [];
    for (const n of [1, 2, 3, 4]) {
      jdlJobs.push(
        await submitJdlFile(
          `count-${n}`,
          `[ JobName = "count-${n}"; Executable = "count.sh"; Arguments = "${n}";
             InputSandbox = {"count.sh", "numbers.txt"}; OutputSandbox = {"std.out", "std.err", "result.txt"};
             CPUTime = 1000; ]`,
          {
            'count.sh':
              '#!/bin/sh\necho "slurm job $SLURM_JOB_ID"\nwc -l < numbers.txt > result.txt\necho "job $1 counted $(cat result.txt)"\n',
            'numbers.txt': `${Array.from({ length: 11 }, (_, i) => i).join('\n')}\n`,
          },
        ),
      );
    }
    const cwlResponse = await runtime.api('/api/jobs', {
      method: 'POST',
      json: {
        workflow: readYaml('test/fixtures/cwl/hello-world.cwl'),
        inputs: [readYaml('test/fixtures/cwl/hello-world.inputs.yaml')],
      },
    });
    const [cwlJob] = await jobIdsOf({ status: cwlResponse.status, body: await cwlResponse.json() });
    if (cwlJob === undefined) throw new Error('no CWL job');

    const jobs = await Promise.all([...jdlJobs, cwlJob].map(wait));
    for (const job of jobs) {
      expect(job.Status, JSON.stringify(job.LoggingInfo)).toBe('Done');
      expect(job.Site).toBe(site);
    }
    const slurmIds = new Set<string>();
    for (const jobId of [...jdlJobs, cwlJob]) {
      const minors = (await historyOf(jobId)).map((entry) => entry.MinorStatus);
      // The network steps ran on the edge node around the payload's time in Slurm.
      expect(minors.indexOf(minorStatus.downloadingInputSandbox)).toBeLessThan(
        minors.indexOf(minorStatus.submittingToCe),
      );
      expect(minors.indexOf(minorStatus.submittingToCe)).toBeLessThan(
        minors.indexOf(minorStatus.application),
      );
      expect(minors.at(-1)).toBe(minorStatus.executionComplete);
      const ids = await slurmIdsOf(jobId);
      expect(ids).toHaveLength(1);
      for (const id of ids) slurmIds.add(id);
    }
    expect(slurmIds.size).toBe(5);

    for (const [index, jobId] of jdlJobs.entries()) {
      const dir = await outputOf(jobId);
      const [slurmId] = await slurmIdsOf(jobId);
      const stdout = readFileSync(join(dir, 'std.out'), 'utf8');
      // The payload ran as that Slurm job, with its input sandbox there.
      expect(stdout).toBe(`slurm job ${slurmId}\njob ${index + 1} counted 11\n`);
      expect(readFileSync(join(dir, 'result.txt'), 'utf8').trim()).toBe('11');
      expect(slurmState(slurmId ?? '')).toBe('COMPLETED');
    }
    const cwlDir = await outputOf(cwlJob);
    const output = JSON.parse(readFileSync(join(cwlDir, 'cwl.output.json'), 'utf8')) as Record<
      string,
      { path: string }
    >;
    expect(readFileSync(output.greeting?.path ?? '', 'utf8')).toContain('Hello from muon');
    // The job directories are gone from the shared work directory.
    const pilotDirs = readdirSync(workDir);
    expect(pilotDirs).toHaveLength(1);
    expect(readdirSync(join(workDir, pilotDirs[0] ?? '')).filter((entry) => /^\d+$/.test(entry))).toEqual([]);
  }, 120_000);

  it('cuts payloads off the network, and reports their failure truthfully', async () => {
    const { port } = new URL(runtime.apiUrl);
    const reach = [
      '#!/bin/bash',
      `if (exec 3<>/dev/tcp/127.0.0.1/${port}); then echo "bash reached the API"; exit 0; fi`,
      `if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' '${runtime.apiUrl}/api/jobs'; then echo "python reached the API"; exit 0; fi`,
      'echo "no network"',
      'exit 3',
      '',
    ].join('\n');
    const jobId = await submitJdlFile(
      'network',
      `[ JobName = "network"; Executable = "/bin/bash"; Arguments = "reach.sh";
         InputSandbox = {"reach.sh"}; OutputSandbox = {"std.out", "std.err"}; CPUTime = 1000; ]`,
      { 'reach.sh': reach },
    );
    // The same script reaches the API from the edge node.
    expect(execFileSync('/bin/bash', [join(scratch, 'network', 'reach.sh')], { encoding: 'utf8' })).toBe(
      'bash reached the API\n',
    );
    const job = await wait(jobId);
    expect(job.Status).toBe('Failed');
    expect(job.MinorStatus).toBe(minorStatus.applicationFinishedWithErrors);
    expect(job.ApplicationStatus).toBe('Exit code 3');
    const dir = await outputOf(jobId);
    expect(readFileSync(join(dir, 'std.out'), 'utf8')).toBe('no network\n');
    const stderr = readFileSync(join(dir, 'std.err'), 'utf8');
    expect(stderr).toContain('Network is unreachable');
    expect(stderr).toMatch(/URLError|Network is unreachable/);
    expect(await slurmIdsOf(jobId)).toHaveLength(1);
  }, 120_000);

  it('reschedules a job whose payload exits 1502; it then runs again in Slurm and succeeds', async () => {
    const marker = join(scratch, 'rescheduled-once');
    const jobId = await submitJdlFile(
      'retry',
      `[ JobName = "retry"; Executable = "retry.sh"; InputSandbox = {"retry.sh"}; CPUTime = 1000; ]`,
      {
        'retry.sh': `#!/bin/sh\nif [ -e ${marker} ]; then echo second run; exit 0; fi\ntouch ${marker}\nexit 1502\n`,
      },
    );
    const job = await wait(jobId);
    expect(job.Status, JSON.stringify(job.LoggingInfo)).toBe('Done');
    expect(job.RescheduleCounter).toBe(1);
    const history = await historyOf(jobId);
    expect(history.map((entry) => entry.MinorStatus)).toContain(minorStatus.goingToRescheduleJob);
    expect(history.map((entry) => entry.MinorStatus)).toContain(minorStatus.jobRescheduled);
    expect(new Set(await slurmIdsOf(jobId)).size).toBe(2);
  }, 120_000);

  it('cancels the Slurm job on a Kill command and ends the job Killed', async () => {
    const [jobId] = await jobIdsOf(
      await submitJdl(runtime, [
        '[ JobName = "long"; Executable = "/bin/sleep"; Arguments = "300"; CPUTime = 1000; ]',
      ]),
    );
    if (jobId === undefined) throw new Error('no job');
    await waitForJob(runtime, jobId, (job) => job.MinorStatus === minorStatus.application, 60_000);
    const [slurmId] = await slurmIdsOf(jobId);
    expect(slurmState(slurmId ?? '')).toBe('RUNNING');
    const kill = await runtime.api('/api/jobs/kill', { method: 'POST', json: { job_ids: [jobId] } });
    expect(kill.status).toBe(200);
    await waitForJob(runtime, jobId, hasStatus('Killed'), 30_000);
    const deadline = Date.now() + 15_000;
    while (slurmState(slurmId ?? '') !== 'CANCELLED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(slurmState(slurmId ?? '')).toBe('CANCELLED');
    expect((await jobOf(jobId)).Status).toBe('Killed');
  }, 120_000);

  it('drains on stop: a payload still in Slurm is cancelled and its job rescheduled; the pilot ends Done', async () => {
    const [jobId] = await jobIdsOf(
      await submitJdl(runtime, [
        '[ JobName = "drained"; Executable = "/bin/sleep"; Arguments = "300"; CPUTime = 1000; ]',
      ]),
    );
    if (jobId === undefined) throw new Error('no job');
    await waitForJob(runtime, jobId, (job) => job.MinorStatus === minorStatus.application, 60_000);
    const [slurmId] = await slurmIdsOf(jobId);
    await pilot.stop({ reason: 'SIGTERM received' });
    const job = await jobOf(jobId);
    expect((job.LoggingInfo as LogEntry[]).map((entry) => entry.MinorStatus)).toContain(
      minorStatus.goingToRescheduleJob,
    );
    expect(job.RescheduleCounter).toBe(1);
    expect(slurmState(slurmId ?? '')).toBe('CANCELLED');
    const response = await runtime.api(`/api/pilots/info?reference=${encodeURIComponent(reference)}`, {
      as: 'admin',
    });
    expect(await response.json()).toMatchObject({ status: 'Done' });
    expect(existsSync(join(workDir, readdirSync(workDir)[0] ?? '', 'pilot.log'))).toBe(true);
  }, 120_000);
});
