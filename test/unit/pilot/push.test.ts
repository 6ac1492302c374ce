import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { WrapperContext } from '#pilot/api.ts';
import { createPushSlots, pushRequest } from '#pilot/push/capacity.ts';
import { parseSqueueJobs, parseTimes, payloadEnding, phaseOf } from '#pilot/push/ending.ts';
import { payloadFiles, payloadScript, sbatchArguments, timeLimitMinutes } from '#pilot/push/script.ts';
import { resolvePushSettings } from '#pilot/push/settings.ts';
import { JobStepError, jobPaths, startJobWrapper } from '#pilot/wrapper/index.ts';
import type { PayloadExit, PayloadRunner } from '#pilot/wrapper/payload.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { FakePilot, matchedJob } from '#test/fixtures/pilot/fake-pilot.ts';
import { computingElementConfig } from '#test/integration/support/computing-elements.ts';

const pilots: FakePilot[] = [];
afterAll(() => {
  for (const pilot of pilots) pilot.cleanup();
});
const newPilot = () => {
  const pilot = new FakePilot();
  pilots.push(pilot);
  return pilot;
};
/** A job directory with its `.muon/`, and the payload's files there. */
const payloadDirectory = (jobId: number) => {
  const paths = jobPaths(newPilot().workRoot, jobId);
  mkdirSync(paths.private, { recursive: true });
  return { paths, files: payloadFiles(paths) };
};

describe('Push mode: the payload batch script', () => {
  it('runs the payload with exactly its environment and leaves its exit code, CPU and wall clock', () => {
    const { paths, files } = payloadDirectory(7);
    writeFileSync(
      files.script,
      payloadScript({
        jobId: 7,
        pilotReference: 'push://edge/1',
        paths,
        command: [
          '/bin/sh',
          '-c',
          `echo "it's $GREETING in $(pwd) as $SLURM_JOB_ID"; env | sort >env.txt; exit 1502`,
        ],
        env: { GREETING: 'a "quoted" value', PATH: '/usr/bin:/bin', 'not.a.name': 'x' },
        isolateNetwork: false,
      }),
    );
    const run = spawnSync('/bin/sh', [files.script], {
      env: { PATH: '/usr/bin:/bin', SLURM_JOB_ID: '42', MUON_TOKEN: 'secret' },
    });
    expect(run.status).toBe(222);
    expect(readFileSync(paths.stdout, 'utf8')).toBe(`it's a "quoted" value in ${paths.root} as 42\n`);
    const env = readFileSync(`${paths.root}/env.txt`, 'utf8');
    expect(env).toContain('SLURM_JOB_ID=42');
    expect(env).not.toContain('MUON_TOKEN');
    expect(env).not.toContain('not.a.name');
    expect(readFileSync(files.exitCode, 'utf8').trim()).toBe('222');
    expect(parseTimes(readFileSync(files.times, 'utf8'))).toBeGreaterThanOrEqual(0);
    const wall = Number(readFileSync(files.endedAt, 'utf8')) - Number(readFileSync(files.startedAt, 'utf8'));
    expect(wall).toBeGreaterThanOrEqual(0);
  });

  it('cuts the payload off the network when asked', () => {
    const unshare = spawnSync('unshare', ['--net', '--', 'true']);
    if (unshare.status !== 0) return; // Needs root or user namespaces; the Slurm tests cover it too.
    const { paths, files } = payloadDirectory(8);
    writeFileSync(
      files.script,
      payloadScript({
        jobId: 8,
        pilotReference: 'push://edge/1',
        paths,
        command: ['/bin/bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/9'],
        env: { PATH: '/usr/bin:/bin' },
        isolateNetwork: true,
      }),
    );
    spawnSync('/bin/sh', [files.script]);
    expect(readFileSync(paths.stderr, 'utf8')).toContain('Network is unreachable');
    expect(execFileSync('cat', [files.exitCode], { encoding: 'utf8' }).trim()).toBe('1');
  });

  it('asks sbatch for the job’s cores, time, memory and the configured partition and options', () => {
    const paths = jobPaths('/shared/work', 9);
    expect(
      sbatchArguments({
        jobId: 9,
        paths,
        processors: 4,
        timeLimitMinutes: 20,
        memoryMb: 2048,
        wholeNode: false,
        partition: 'short',
        account: 'physics',
        extra: ['--qos=low'],
      }),
    ).toEqual([
      '--parsable',
      '--job-name=muon-job-9',
      '--chdir=/shared/work/9',
      '--output=/shared/work/9/.muon/slurm.out',
      '--nodes=1',
      '--ntasks=1',
      '--cpus-per-task=4',
      '--time=20',
      '--mem=2048M',
      '--partition=short',
      '--account=physics',
      '--qos=low',
      '/shared/work/9/.muon/payload.sh',
    ]);
  });

  it('gives each payload its CPU time on one core as wall clock, within the limits', () => {
    const limits = { cpuNormalizationFactor: 2, cpuLimitMargin: 0.2, maxWallClockSeconds: 259_200 };
    expect(timeLimitMinutes({ ...limits, cpuTime: 2000 })).toBe(20);
    expect(timeLimitMinutes({ ...limits, cpuTime: 2000, partitionLimitMinutes: 10 })).toBe(10);
    expect(timeLimitMinutes({ ...limits, cpuTime: 1 })).toBe(1);
    expect(timeLimitMinutes({ ...limits, cpuTime: 1e9 })).toBe(4320);
  });

  it('reads squeue and the shell’s times', () => {
    const jobs = parseSqueueJobs('12|PENDING|\n13|RUNNING|node[1-2]\n14|CANCELLED by 0|node1\n');
    expect(jobs.get('12')).toEqual({ state: 'PENDING' });
    expect(jobs.get('13')).toEqual({ state: 'RUNNING', nodes: 'node[1-2]' });
    expect(jobs.get('14')?.state).toBe('CANCELLED');
    expect(['PENDING', 'COMPLETING', 'TIMEOUT', 'WHATEVER'].map(phaseOf)).toEqual([
      'waiting',
      'running',
      'ended',
      'ended',
    ]);
    expect(parseTimes('0m0.01s 0m0.02s\n1m2.500000s 0m0.500000s\n')).toBe(63);
    expect(parseTimes('garbage')).toBeUndefined();
  });
});

describe('Push mode: what an ended batch job means', () => {
  const ending = (state: string, result = {}, cancelRequested = false) =>
    payloadEnding({ slurmJobId: '5', state, cancelRequested, result });

  it('trusts the exit code the payload left, whatever Slurm says', () => {
    expect(ending('FAILED', { exitCode: 3 })).toEqual({ kind: 'exit', exitCode: 3, signal: null });
    expect(ending('CANCELLED', { exitCode: 0 })).toEqual({ kind: 'exit', exitCode: 0, signal: null });
  });

  it('maps Slurm’s limits to DIRAC’s minor statuses', () => {
    expect(ending('TIMEOUT')).toMatchObject({
      kind: 'exit',
      exitCode: null,
      limit: { minorStatus: minorStatus.exceededWallClockTime },
    });
    expect(ending('OUT_OF_MEMORY')).toMatchObject({
      limit: { minorStatus: minorStatus.applicationFinishedWithErrors },
    });
  });

  it('a cancel the pilot asked for is a signal; anyone else’s, or a node failure, reschedules', () => {
    expect(ending('CANCELLED', {}, true)).toEqual({ kind: 'exit', exitCode: null, signal: 'SIGTERM' });
    expect(ending('CANCELLED')).toEqual({ kind: 'reschedule', reason: 'Slurm batch job 5 ended CANCELLED' });
    expect(ending('NODE_FAIL').kind).toBe('reschedule');
    expect(ending('UNKNOWN').kind).toBe('reschedule');
  });

  it('a batch job that could not run the payload is an error that says why', () => {
    expect(ending('FAILED', { error: 'the payload cannot be cut off from the network' })).toEqual({
      kind: 'error',
      message: 'the payload cannot be cut off from the network',
    });
    expect(ending('COMPLETED')).toMatchObject({ kind: 'error', message: /shared with the compute nodes/ });
  });
});

describe('Push mode: capacity and settings', () => {
  it('offers at most one node’s free cores per request and stops at maxJobs', () => {
    const slots = createPushSlots({ nodes: 2, coresPerNode: 4, maxJobs: 3 });
    const request = () =>
      pushRequest({
        site: 'HPC',
        gridCE: 'hpc',
        pilotReference: 'push://edge/1',
        slots,
        timeLimitMinutes: 60,
        cpuNormalizationFactor: 2,
        tags: [],
      });
    expect(request()).toMatchObject({ NumberOfProcessors: 4, WholeNode: true, CPUTime: 3600 * 2 * 4 });
    slots.take(1, 4);
    slots.take(2, 3);
    expect(request()).toMatchObject({ NumberOfProcessors: 1 });
    expect(request().WholeNode).toBeUndefined();
    slots.take(3, 1);
    expect(slots.free).toBe(0);
    slots.release(1);
    expect(slots.free).toBe(4);
    expect(() => slots.take(4, 5)).toThrow(/5 cores/);
  });

  it('takes the Slurm computing element’s settings, overridden by the command line', () => {
    const base = loadConfigFile('config/muon.yaml');
    const config: MuonConfig = {
      ...base,
      sites: {
        ...base.sites,
        HPC: {
          storageElements: [],
          banned: false,
          computingElements: {
            hpc: computingElementConfig({
              type: 'Slurm',
              processors: 8,
              memoryMb: 16000,
              settings: { partition: 'long', sbatchOptions: ['--qos=x'], push: { nodes: 4 } },
            }),
          },
        },
      },
    };
    expect(resolvePushSettings(config)).toMatchObject({
      site: 'HPC',
      gridCE: 'hpc',
      partition: 'long',
      sbatchOptions: ['--qos=x'],
      nodes: 4,
      coresPerNode: 8,
      maxJobs: 32,
      memoryMbPerNode: 16000,
      isolateNetwork: true,
      pollSeconds: 5,
    });
    expect(
      resolvePushSettings(config, { partition: 'short', maxJobs: 5, isolateNetwork: false }),
    ).toMatchObject({
      partition: 'short',
      maxJobs: 5,
      isolateNetwork: false,
    });
    expect(() => resolvePushSettings(config, { ce: 'localhost' })).toThrow(
      /No Slurm computing element "localhost"/,
    );
    expect(() => resolvePushSettings(base)).toThrow(/Slurm ones: none/);
  });
});

/** A remote runner that does what the test says instead of submitting anything. */
function fakeRemoteRunner(
  ending: () => Promise<PayloadExit>,
  calls: { terminated: number } = { terminated: 0 },
): PayloadRunner {
  return {
    remote: true,
    async start(_payload, launch) {
      launch.report({
        Status: 'Running',
        MinorStatus: minorStatus.submittingToCe,
        ApplicationStatus: 'Slurm job 77',
      });
      let stop: (exit: PayloadExit) => void = () => undefined;
      const stopped = new Promise<PayloadExit>((resolve) => {
        stop = resolve;
      });
      const exit = Promise.race([ending(), stopped]);
      exit.catch(() => undefined);
      return {
        running: new Promise((resolve) => setTimeout(() => resolve('Slurm job 77 on node1'), 50)),
        exit: new Promise((resolve, reject) => setTimeout(() => exit.then(resolve, reject), 100)),
        async terminate() {
          calls.terminated += 1;
          stop({ exitCode: null, signal: 'SIGTERM' });
          return exit;
        },
        reap: () => undefined,
      };
    },
  };
}

function startRemote(runner: PayloadRunner, fields = {}) {
  const pilot = newPilot();
  const context: WrapperContext = { ...pilot.context(), payloadRunner: runner };
  const handle = startJobWrapper(matchedJob({ Executable: '/bin/true', ...fields }), context);
  return { pilot, handle };
}

describe.concurrent('Job wrapper with a remote payload runner', () => {
  it('reports the submission, then Application with where it runs, and ends with the remote figures', async () => {
    const { pilot, handle } = startRemote(
      fakeRemoteRunner(async () => ({ exitCode: 0, signal: null, cpuSeconds: 12, wallClockSeconds: 30 })),
    );
    expect(await handle.done).toEqual({ status: 'Done' });
    const minors = pilot.minors();
    expect(minors.indexOf(minorStatus.submittingToCe)).toBeLessThan(minors.indexOf(minorStatus.application));
    expect(
      pilot.statuses.find((update) => update.MinorStatus === minorStatus.application)?.ApplicationStatus,
    ).toBe('Slurm job 77 on node1');
    expect(pilot.last()).toMatchObject({ Status: 'Done', MinorStatus: minorStatus.executionComplete });
  });

  it('fails the job with the minor status of the batch system’s limit', async () => {
    const { handle } = startRemote(
      fakeRemoteRunner(async () => ({
        exitCode: null,
        signal: 'SIGKILL',
        limit: { minorStatus: minorStatus.exceededWallClockTime, message: 'TIMEOUT' },
      })),
    );
    expect(await handle.done).toEqual({ status: 'Failed', minorStatus: minorStatus.exceededWallClockTime });
  });

  it('stops the remote payload on a Kill command and ends Killed', async () => {
    const calls = { terminated: 0 };
    const { handle } = startRemote(fakeRemoteRunner(() => new Promise(() => undefined), calls));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Only the wall clock and the output: the payload's processes are not on this machine.
    expect(Object.keys(handle.heartbeat()).sort()).toEqual(['StandardOutput', 'WallClockTime']);
    handle.kill();
    expect(await handle.done).toEqual({ status: 'Killed' });
    expect(calls.terminated).toBe(1);
  });

  it('reschedules a job whose payload the batch system lost', async () => {
    const { pilot, handle } = startRemote(
      fakeRemoteRunner(async () => {
        throw new JobStepError(minorStatus.goingToRescheduleJob, 'Slurm batch job 77 ended NODE_FAIL', {
          action: 'reschedule',
        });
      }),
    );
    expect(await handle.done).toEqual({
      status: 'Rescheduled',
      reason: 'Slurm batch job 77 ended NODE_FAIL',
    });
    expect(pilot.rescheduled).toEqual([matchedJob().JobID]);
  });
});
