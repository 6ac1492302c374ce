import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MatchedJob, WrapperHandle } from '#pilot/api.ts';
import { acquireSharedSampler, parseStat } from '#pilot/watchdog/index.ts';
import { startJobWrapper } from '#pilot/wrapper/index.ts';
import { FakePilot, matchedJob, type PilotConfig } from '#test/fixtures/pilot/fake-pilot.ts';

// Each test has its own fake API, so they run concurrently.
const pilots: FakePilot[] = [];
afterAll(() => {
  for (const pilot of pilots) pilot.cleanup();
});

function start(
  script: string,
  fields: Partial<MatchedJob> = {},
  watchdog: Partial<PilotConfig['watchdog']> = {},
) {
  const pilot = new FakePilot();
  pilots.push(pilot);
  const job = matchedJob({ Executable: '/bin/sh', Arguments: `-c '${script}'`, ...fields });
  const handle = startJobWrapper(job, pilot.context({}, { killGraceSeconds: 0.5, ...watchdog }));
  return { pilot, handle };
}

async function untilRunning(pilot: FakePilot): Promise<void> {
  for (let waited = 0; !pilot.minors().includes('Application'); waited += 20) {
    if (waited > 10_000) throw new Error('the payload did not start');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits for a file the payload writes, and returns its content. */
async function written(path: string): Promise<string> {
  for (let waited = 0; ; waited += 20) {
    const content = readIfThere(path);
    if (content) return content;
    if (waited > 10_000) throw new Error(`${path} was not written`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process still runs (a zombie waiting for init to reap it does not), given a moment to die. */
async function stillRuns(pid: number): Promise<boolean> {
  for (let waited = 0; waited < 2_000; waited += 50) {
    const state = readIfThere(`/proc/${pid}/stat`)
      ?.replace(/^.*\) /, '')
      .slice(0, 1);
    if (state === undefined || state === 'Z') return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

const busyLoop = 'while :; do :; done';

describe.concurrent('Watchdog', () => {
  it('kills a payload over its CPU time (the busy loop of a child included) and fails the job', async () => {
    const started = Date.now();
    const { pilot, handle } = start(`sh -c "${busyLoop}" & echo $! > child.pid; wait`, {
      CPUTime: 1,
      OutputSandbox: ['child.pid'],
    });
    expect(await handle.done).toEqual({
      status: 'Failed',
      minorStatus: 'Job has exceeded maximum CPU time limit',
    });
    expect(Date.now() - started).toBeLessThan(8_000);
    const files = await pilot.outputSandbox(1234);
    const child = Number(files['child.pid']);
    expect(child).toBeGreaterThan(0);
    expect(await stillRuns(child)).toBe(false);
    expect(pilot.last()).toMatchObject({
      Status: 'Failed',
      MinorStatus: 'Job has exceeded maximum CPU time limit',
    });
  });

  it('kills a payload over the wall-clock limit, with SIGKILL when it ignores SIGTERM', async () => {
    const { handle } = start(`trap "" TERM; sleep 30`, {}, { maxWallClockSeconds: 1 });
    const started = Date.now();
    expect(await handle.done).toEqual({
      status: 'Failed',
      minorStatus: 'Job has exceeded maximum wall clock time',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('counts the input download toward the wall clock', async () => {
    const pilot = new FakePilot();
    pilots.push(pilot);
    const reference = pilot.addSandbox(Buffer.from('never read'));
    const download = pilot.job.downloadSandbox;
    pilot.job.downloadSandbox = async (jobId, ref, destination) => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return download(jobId, ref, destination);
    };
    const job = matchedJob({ Executable: 'true', InputSandbox: [reference] });
    const handle = startJobWrapper(job, pilot.context({}, { maxWallClockSeconds: 1 }));
    expect(await handle.done).toEqual({
      status: 'Failed',
      minorStatus: 'Job has exceeded maximum wall clock time',
    });
    expect(pilot.minors()).not.toContain('Application');
  });

  it('kills a stalled payload: CPU/wall below the ratio over the window', async () => {
    const { handle } = start('sleep 30', {}, { stalledWindowSeconds: 1, minCpuWallRatio: 0.5 });
    expect(await handle.done).toEqual({
      status: 'Failed',
      minorStatus: 'Watchdog identified this job as stalled',
    });
  });

  it('kills a payload when the job directory runs out of disk space', async () => {
    const { handle } = start('sleep 30', {}, { minDiskSpaceMb: 1e12 });
    expect(await handle.done).toEqual({
      status: 'Failed',
      minorStatus: 'Job has insufficient disk space to continue',
    });
  });

  it('gives the heartbeat figures, with the last lines of std.out', async () => {
    const { pilot, handle } = start(`for i in $(seq 1 30); do echo line $i; done; ${busyLoop}`);
    await untilRunning(pilot);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const beat = handle.heartbeat();
    handle.kill();
    await handle.done;
    expect(beat.CPUConsumed).toBeGreaterThan(0.2);
    expect(beat.WallClockTime).toBeGreaterThanOrEqual(1);
    expect(beat.MemoryUsed).toBeGreaterThan(0);
    expect(beat.Vsize).toBeGreaterThan(0);
    expect(beat.AvailableDiskSpace).toBeGreaterThan(0);
    expect(beat.LoadAverage).toBeGreaterThanOrEqual(0);
    const lines = beat.StandardOutput?.split('\n');
    expect(lines).toHaveLength(20);
    expect(lines?.[0]).toBe('line 11');
    expect(lines?.at(-1)).toBe('line 30');
  });

  it('ends the job Killed on a Kill command, reporting and uploading nothing more', async () => {
    const { pilot, handle } = start('sleep 30 & echo $! > sleeper.pid; wait', {
      OutputSandbox: ['sleeper.pid'],
    });
    await untilRunning(pilot);
    const reported = pilot.statuses.length;
    const sleeper = Number(await written(join(pilot.workRoot, '1234', 'sleeper.pid')));
    handle.kill();
    expect(await handle.done).toEqual({ status: 'Killed' });
    expect(pilot.statuses).toHaveLength(reported);
    expect(pilot.uploadedSandboxes).toEqual([]);
    expect(pilot.outputs.size).toBe(0);
    expect(pilot.rescheduled).toEqual([]);
    expect(await stillRuns(sleeper)).toBe(false);
  });

  it('stops the payload and reschedules the job when the pilot is interrupted', async () => {
    const { pilot, handle } = start('sleep 30');
    await untilRunning(pilot);
    handle.interrupt('Pilot stopping (SIGTERM)');
    expect(await handle.done).toEqual({ status: 'Rescheduled', reason: 'Pilot stopping (SIGTERM)' });
    expect(pilot.rescheduled).toEqual([1234]);
    expect(pilot.last()).toMatchObject({
      MinorStatus: 'Going to reschedule job',
      ApplicationStatus: 'Pilot stopping (SIGTERM)',
    });
  });

  it('ends Killed when the Kill command arrives before the payload starts', async () => {
    const pilot = new FakePilot();
    pilots.push(pilot);
    const reference = pilot.addSandbox(Buffer.from('x'));
    let handle: WrapperHandle | undefined;
    pilot.job.downloadSandbox = async () => {
      handle?.kill();
      throw new Error('cut off');
    };
    handle = startJobWrapper(matchedJob({ Executable: 'true', InputSandbox: [reference] }), pilot.context());
    expect(await handle.done).toEqual({ status: 'Killed' });
    expect(pilot.minors()).toEqual(['Job Initialization', 'Downloading InputSandbox']);
  });
});

describe('Process sampler', () => {
  it('reads /proc stat lines whose command names hold spaces and parentheses', () => {
    const line =
      '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1 0 0 0 150 50 30 20 20 0 1 0 1000 8192000 300 18446744073709551615';
    expect(parseStat(line)).toEqual({
      pid: 4242,
      ppid: 1,
      pgrp: 4242,
      session: 4242,
      ownTicks: 200,
      childTicks: 50,
      startTime: 1000,
      vsizeBytes: 8192000,
      rssPages: 300,
    });
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('is shared by the job wrappers of a pilot and stops when the last one releases it', () => {
    const first = acquireSharedSampler(12_345);
    const second = acquireSharedSampler(12_345);
    expect(second.sampler).toBe(first.sampler);
    first.release();
    second.release();
    const third = acquireSharedSampler(12_345);
    expect(third.sampler).not.toBe(first.sampler);
    third.release();
  });
});
