/**
 * Productions on the embedded runtime with real local pilots: the example Workflow of
 * examples/production (generate → process → merge) runs as three transformations, files flowing
 * from step to step through the catalog, until the production is Completed with every file of
 * every step Processed exactly once. Bad productions are refused before anything is created, and a
 * submission retried with its idempotency key gives back the same production.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { packCwl } from '#cli/cwl/pack.ts';
import { payloadScratch } from '#test/integration/support/jobs.ts';
import {
  asOtherUser,
  bodyOf,
  quickPilotConfig,
  startTestRuntime,
  type TestRuntime,
} from '#test/integration/support/runtime.ts';
import { allFiles, allTasks } from '#test/integration/support/transformations.ts';

const scratch = payloadScratch('muon-productions-');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const workflow = packCwl('examples/production/production.cwl').document;
/** 2 generation tasks of 3 events: 6 files for process (groups of 2), 6 for merge (groups of up to 4). */
const steps = {
  generate: { tasks: 2, output_metadata: { campaign: 'itest', datatype: 'RAW' } },
  process: { group_size: 2, output_metadata: { campaign: 'itest', datatype: 'PROCESSED' } },
  merge: { group_size: 4, output_metadata: { campaign: 'itest', datatype: 'MERGED' } },
};
/** The packed example with `events_per_task` defaulting to `events`. */
function withEvents(events: number): Record<string, unknown> {
  const copy = structuredClone(workflow);
  const graph = (copy.$graph ?? [copy]) as { id?: string; inputs?: unknown }[];
  const main = graph.find((process) => process.id === '#main' || process.id === 'main') ?? graph[0];
  const input = (main?.inputs as Record<string, { default?: unknown }> | undefined)?.events_per_task;
  if (!input) throw new Error('the packed example has no input events_per_task');
  input.default = events;
  return copy;
}

describe('Productions with local pilots', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime({
      config: quickPilotConfig(1),
      scheduleEveryMs: 1000,
      pilots: { idleStopSeconds: 5 },
    });
  }, 60_000);
  afterAll(() => runtime?.stop(), 30_000);

  const submit = (body: unknown, key?: string) =>
    runtime.api('/api/productions', {
      method: 'POST',
      json: body,
      ...(key ? { headers: { 'idempotency-key': key } } : {}),
    });

  const find = async (query: string) =>
    (await bodyOf(await runtime.api('/api/data/find', { method: 'POST', json: { Query: query } })))
      .LFNs as string[];

  it('refuses a bad production with a 400 naming the step, before anything is created', async () => {
    const bad = await submit({ workflow, steps: { ...steps, reconstruct: { group_size: 0 } } });
    expect(bad.status).toBe(400);
    const body = await bodyOf(bad);
    expect((body.detail as { message: string }).message).toMatch(
      /steps\.reconstruct: the Workflow has no step/,
    );
    const zero = await submit({ workflow, steps: { ...steps, merge: { group_size: 0 } } });
    expect(zero.status).toBe(400);
    expect(JSON.stringify(await bodyOf(zero))).toMatch(/the group size is at least 1/);
    const list = await bodyOf(await runtime.api('/api/productions'));
    expect(list.productions).toEqual([]);
  });

  it('runs generate → process → merge to Completed, every file of every step Processed exactly once', async () => {
    const request = { workflow: withEvents(3), steps, name: 'itest' };
    const created = await submit(request, 'itest-production-1');
    const answer = await bodyOf(created);
    expect(created.status, JSON.stringify(answer)).toBe(201);
    const productionId = answer.productionId as string;
    const ids = (answer.steps as { step: string; transformationId: number }[]).map((s) => s.transformationId);
    expect((answer.steps as { step: string }[]).map((s) => s.step)).toEqual(['generate', 'process', 'merge']);

    // A retry with the same key is the same production, with the same transformations.
    const again = await bodyOf(await submit(request, 'itest-production-1'));
    expect(again).toEqual(answer);

    const done = await vi.waitFor(
      async () => {
        const status = await bodyOf(await runtime.api(`/api/productions/${productionId}`));
        if (status.state !== 'Completed')
          throw new Error(`production is ${status.state}: ${JSON.stringify(status.steps)}`);
        return status;
      },
      { timeout: 420_000, interval: 1000 },
    );
    const [generate, process, merge] = done.steps as {
      files: Record<string, number>;
      jobs: Record<string, number>;
      state: string;
    }[];
    expect(generate?.jobs).toEqual({ Done: 2 });
    expect(process?.files).toEqual({ Unused: 0, Assigned: 0, Processed: 6, Problematic: 0 });
    expect(merge?.files).toEqual({ Unused: 0, Assigned: 0, Processed: 6, Problematic: 0 });
    // A partial group is flushed once no file joined for a while, so merge has 2 tasks or more.
    expect(Object.keys(merge?.jobs ?? {})).toEqual(['Done']);

    // Each file of process and merge is in exactly one Done task, and is an output of the step before.
    const [, processId, mergeId] = ids as [number, number, number];
    for (const [id, from] of [
      [processId, 'generate'],
      [mergeId, 'process'],
    ] as const) {
      const tasks = await allTasks(runtime, id);
      const inTasks = tasks.flatMap((t) => t.lfns as string[]);
      expect(new Set(inTasks).size).toBe(inTasks.length);
      expect(tasks.every((t) => t.status === 'Done')).toBe(true);
      const files = await allFiles(runtime, id);
      expect(files.map((f) => f.lfn).sort()).toEqual([...inTasks].sort());
      const found = await find(`productionId=${productionId} productionStep=${from}`);
      expect([...found].sort()).toEqual([...inTasks].sort());
    }
    expect(await find(`productionId=${productionId} datatype=MERGED`)).toHaveLength(merge?.jobs.Done ?? -1);

    // Only the owner (and production managers, administrators) see it.
    const bob = await runtime.api(`/api/productions/${productionId}`, await asOtherUser(runtime, 'bob'));
    expect(bob.status).toBe(403);

    // stop and clean apply to every step's transformation.
    const stopped = await bodyOf(
      await runtime.api(`/api/productions/${productionId}/stop`, { method: 'POST' }),
    );
    expect((stopped.steps as { done: boolean }[]).every((s) => s.done)).toBe(true);
    expect((await bodyOf(await runtime.api(`/api/productions/${productionId}`))).state).toBe('Stopped');
    const cleaned = await runtime.api(`/api/productions/${productionId}/clean`, { method: 'POST' });
    expect(cleaned.status).toBe(200);
    const after = await bodyOf(await runtime.api(`/api/productions/${productionId}`));
    expect(['Cleaning', 'Cleaned']).toContain(after.state);
  }, 480_000);
});
