/**
 * Nothing lost, nothing done twice: with injected job failures, a pilot killed mid-job, a crash
 * between a task's submission and its record, and a runtime stopped and started again, every file of a
 * transformation ends Processed in exactly one Done job, or Problematic with its reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MuonConfig } from '#shared/config/schema.ts';
import { canonicalWorkflow } from '#shared/cwl/index.ts';
import { runCycle } from '#shared/transformations/cycle.ts';
import { createEnginePorts } from '#shared/transformations/ports.ts';
import { listTasks } from '#shared/transformations/store/tasks.ts';
import { putTransformation } from '#shared/transformations/store/transformations.ts';
import { putWorkflow } from '#shared/workflows/store.ts';
import { payloadScratch } from '#test/integration/support/jobs.ts';
import {
  bodyOf,
  quickPilotConfig,
  startTestRuntime,
  type TestRuntime,
} from '#test/integration/support/runtime.ts';
import {
  aliceHome,
  allFiles,
  assertExactlyOnce,
  catalogFiles,
  flakyTool,
  submitTransformation,
  transformationRecord,
  transformationStatus,
  waitForState,
} from '#test/integration/support/transformations.ts';

const scratch = payloadScratch('muon-exactly-once-');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function config(): MuonConfig {
  const settings = quickPilotConfig(1);
  settings.agents = {
    ...settings.agents,
    siteDirector: { ...settings.agents.siteDirector, pilotStatusUpdateCycles: 1 },
    stalledJobs: { ...settings.agents.stalledJobs, stalledAfterSeconds: 3 },
  };
  return settings;
}

const input = (dir: string, names: readonly string[], text: (name: string) => string) =>
  names.map((name) => ({ lfn: `${aliceHome}/${dir}/${name}`, text: text(name), meta: { dataset: dir } }));

describe('Transformations, exactly once, with local pilots', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime({
      config: config(),
      scheduleEveryMs: 1000,
      pilots: { idleStopSeconds: 5 },
    });
  }, 60_000);
  afterAll(() => runtime?.stop(), 30_000);

  it('retries the files of failed jobs until maxReset, then marks them Problematic with the reason', async () => {
    const names = ['good-1', 'good-2', 'once-1', 'once-2', 'always-1'];
    await catalogFiles(
      runtime,
      input('flaky', names, (name) => `${name.replace(/-\d$/, '')}\n`),
    );
    const id = await submitTransformation(runtime, {
      name: 'flaky',
      cwl: flakyTool(scratch),
      inputQuery: [{ key: 'dataset', op: '=', values: ['flaky'] }],
      groupSize: 1,
      maxReset: 2,
      hints: { outputSE: ['LOCAL-DISK'] },
    });
    await waitForState(runtime, id, 'Completed', 150_000);
    const byStatus = await assertExactlyOnce(runtime, id);
    expect(byStatus.Processed?.map((lfn) => lfn.replace(/^.*\//, '')).sort()).toEqual([
      'good-1',
      'good-2',
      'once-1',
      'once-2',
    ]);
    const files = await allFiles(runtime, id);
    const always = files.find((f) => (f.lfn as string).endsWith('always-1'));
    expect(always).toMatchObject({ status: 'Problematic', errorCount: 2 });
    expect(always?.reason).toMatch(/Failed.*\(failed 2 times\)/);
    const once = files.filter((f) => (f.lfn as string).includes('once'));
    expect(once.map((f) => f.errorCount)).toEqual([1, 1]);
  }, 180_000);

  it('processes once the file of a job whose pilot was killed mid-job', async () => {
    await catalogFiles(
      runtime,
      input('killed', ['slow-1', 'good-1'], (name) => `${name.replace(/-\d$/, '')}\n`),
    );
    const id = await submitTransformation(runtime, {
      name: 'killed',
      cwl: flakyTool(scratch),
      inputQuery: [{ key: 'dataset', op: '=', values: ['killed'] }],
      groupSize: 1,
      hints: { outputSE: ['LOCAL-DISK'] },
    });
    const running = await vi.waitFor(
      async () => {
        const status = await transformationStatus(runtime, id);
        const tasks = (await bodyOf(await runtime.api(`/api/transformations/${id}/tasks`))).tasks as {
          jobId?: number;
          lfns: string[];
        }[];
        const slow = tasks.find((t) => t.lfns.some((lfn) => lfn.endsWith('slow-1')));
        const job = slow?.jobId ? await bodyOf(await runtime.api(`/api/jobs/${slow.jobId}`)) : undefined;
        if (job?.Status !== 'Running') throw new Error(`not running yet: ${JSON.stringify(status.jobs)}`);
        return job;
      },
      { timeout: 60_000, interval: 300 },
    );
    const reference = (running.Parameters as Record<string, string>).Pilot_Reference as string;
    process.kill(-Number(reference.split('/').at(-1)), 'SIGKILL');
    await waitForState(runtime, id, 'Completed', 150_000);
    const byStatus = await assertExactlyOnce(runtime, id);
    expect(byStatus.Processed).toHaveLength(2);
  }, 200_000);
});

describe('Transformations, exactly once, across a crash between submission and the task record', () => {
  let runtime: TestRuntime;
  // No sweep while the test drives the cycles itself.
  beforeAll(async () => {
    runtime = await startTestRuntime({ scheduleEveryMs: 3_600_000 });
  }, 60_000);
  afterAll(() => runtime?.stop(), 30_000);

  it('finds the job the first attempt made, through the task idempotency key', async () => {
    const ports = createEnginePorts(runtime.deps);
    const cwl = {
      cwlVersion: 'v1.2',
      class: 'CommandLineTool',
      baseCommand: 'true',
      inputs: {},
      outputs: {},
    };
    const workflow = canonicalWorkflow(cwl);
    const time = new Date().toISOString();
    await putWorkflow(runtime.aws.dynamo, runtime.resources.tables.workflows as string, workflow, time);
    const transformation = transformationRecord(900_001, {
      name: 'crash',
      state: 'Active',
      workflowId: workflow.id,
      tasks: 2,
    });
    await putTransformation(ports.store, transformation);
    const submitted: number[] = [];
    const crashing = {
      ...ports,
      jobs: {
        ...ports.jobs,
        submit: async (...args: Parameters<typeof ports.jobs.submit>) => {
          const jobId = await ports.jobs.submit(...args);
          submitted.push(jobId);
          throw new Error('the function died after the submission');
        },
      },
    };
    await expect(runCycle(crashing, 900_001)).rejects.toThrow(/died/);
    expect(submitted).toHaveLength(1);
    // The next cycle finishes the Created task: the same key, the same job; then the second task.
    expect(await runCycle(ports, 900_001)).toBe('done');
    const tasks = await listTasks(ports.store, 900_001, 2, { limit: 10 });
    expect(tasks.map((t) => [t.taskId, t.status])).toEqual([
      [1, 'Submitted'],
      [2, 'Submitted'],
    ]);
    expect(tasks[0]?.jobId).toBe(submitted[0]);
    const search = await bodyOf(
      await runtime.api('/api/jobs/search', {
        method: 'POST',
        json: { search: [{ parameter: 'JobGroup', operator: 'eq', value: '00900001' }] },
      }),
    );
    expect(Object.values(search)).toHaveLength(2);
  }, 60_000);
});

describe('Transformations, exactly once, across a restarted runtime', () => {
  it('finishes after a stop and a start on the same home, every file processed once', async () => {
    const home = mkdtempSync(join(tmpdir(), 'muon-restart-'));
    const start = () =>
      startTestRuntime({
        home,
        inMemory: false,
        emulatorsInProcess: false,
        keepHome: true,
        config: config(),
        scheduleEveryMs: 1000,
        pilots: { idleStopSeconds: 5 },
      });
    let runtime = await start();
    try {
      const names = Array.from({ length: 6 }, (_, i) => `slow-${i}`);
      await catalogFiles(
        runtime,
        input('restart', names, () => 'slow\n'),
      );
      const id = await submitTransformation(runtime, {
        name: 'restart',
        cwl: flakyTool(scratch),
        inputQuery: [{ key: 'dataset', op: '=', values: ['restart'] }],
        groupSize: 1,
        hints: { outputSE: ['LOCAL-DISK'] },
      });
      // Stopped while some files are Processed and others still wait or run.
      await vi.waitFor(
        async () => {
          const files = (await transformationStatus(runtime, id)).files as Record<string, number>;
          if (!files.Processed) throw new Error(`nothing Processed yet: ${JSON.stringify(files)}`);
        },
        { timeout: 90_000, interval: 300 },
      );
      await runtime.stop();
      runtime = await start();
      await waitForState(runtime, id, 'Completed', 150_000);
      const byStatus = await assertExactlyOnce(runtime, id);
      expect(byStatus.Processed).toHaveLength(6);
    } finally {
      await runtime.stop();
      rmSync(home, { recursive: true, force: true });
    }
  }, 300_000);
});
