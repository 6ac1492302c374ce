/**
 * Transformations on the embedded runtime with real local pilots: catalogued files matching the
 * query join, are grouped into tasks whose jobs run through cwltool on a pilot, and end Processed;
 * the transformation ends Completed. Files registered later join through the catalog events.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
  allTasks,
  assertExactlyOnce,
  catalogFiles,
  concatTool,
  submitTransformation,
  transformationStatus,
  waitForState,
} from '#test/integration/support/transformations.ts';

const scratch = payloadScratch('muon-transformations-');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('Transformations with local pilots', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime({
      config: quickPilotConfig(1),
      scheduleEveryMs: 1000,
      pilots: { idleStopSeconds: 5 },
    });
  }, 60_000);
  afterAll(() => runtime?.stop(), 30_000);

  it('groups catalogued files into tasks whose jobs process each file once, then Completes', async () => {
    const files = Array.from({ length: 5 }, (_, i) => ({
      lfn: `${aliceHome}/tA/in-${i}.txt`,
      text: `line ${i}\n`,
      meta: { dataset: 'tA', index: i },
    }));
    await catalogFiles(runtime, files);
    const id = await submitTransformation(runtime, {
      name: 'concat tA',
      cwl: concatTool,
      inputQuery: [{ key: 'dataset', op: '=', values: ['tA'] }],
      groupSize: 2,
      outputMetadata: { dataset: 'tA-out' },
      hints: { outputSE: ['LOCAL-DISK'], cpuTime: 100 },
    });
    const status = await waitForState(runtime, id, 'Completed', 120_000);
    expect(status.files).toEqual({ Unused: 0, Assigned: 0, Processed: 5, Problematic: 0 });
    const tasks = await allTasks(runtime, id);
    expect(tasks.map((t) => t.status)).toEqual(['Done', 'Done', 'Done']);
    const inTasks = tasks.flatMap((t) => t.lfns as string[]).sort();
    expect(inTasks).toEqual(files.map((f) => f.lfn).sort());
    const fileRows = await allFiles(runtime, id);
    for (const file of fileRows) {
      const task = tasks.find((t) => t.taskId === file.taskId);
      expect(task?.status).toBe('Done');
    }
    // Each task's output is in the catalog, where the transformation put it.
    const replicas = await runtime.api(
      `/api/data/replicas?lfn=${encodeURIComponent(`/vo.example.org/prod/${id}/${tasks[0]?.taskId}/out.txt`)}`,
    );
    expect(replicas.status, JSON.stringify(await bodyOf(replicas.clone()))).toBe(200);
    // ...with the transformation's output metadata, so that a next step's query finds it.
    const meta = await bodyOf(
      await runtime.api(
        `/api/data/metadata?path=${encodeURIComponent(`/vo.example.org/prod/${id}/${tasks[0]?.taskId}/out.txt`)}`,
      ),
    );
    expect(JSON.stringify(meta)).toContain('tA-out');
  }, 180_000);

  it('takes in files registered after it was submitted, through the catalog events, and completes again', async () => {
    const id = await submitTransformation(runtime, {
      name: 'late files',
      cwl: concatTool,
      inputQuery: [{ key: 'dataset', op: '=', values: ['tLate'] }],
      groupSize: 2,
      hints: { outputSE: ['LOCAL-DISK'], cpuTime: 100 },
    });
    // Nothing matches yet: the scan ends and the transformation is Completed for now.
    await waitForState(runtime, id, 'Completed', 30_000);
    await catalogFiles(
      runtime,
      [0, 1].map((i) => ({
        lfn: `${aliceHome}/tLate/in-${i}.txt`,
        text: `late ${i}\n`,
        meta: { dataset: 'tLate' },
      })),
    );
    await vi.waitFor(async () => expect((await transformationStatus(runtime, id)).state).toBe('Active'), {
      timeout: 20_000,
      interval: 200,
    });
    const status = await waitForState(runtime, id, 'Completed', 120_000);
    expect(status.files).toEqual({ Unused: 0, Assigned: 0, Processed: 2, Problematic: 0 });
    await assertExactlyOnce(runtime, id);
  }, 180_000);
});
