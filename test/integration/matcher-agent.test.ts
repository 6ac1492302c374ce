/**
 * The TaskQueues agent on the embedded runtime: it counts waiting jobs per task queue and
 * priority, writes fair-share priorities, and deletes task queues left empty long enough.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recalculateTaskQueues } from '#shared/agents/task-queues.ts';
import { taskQueueKeys } from '#shared/taskqueues/keys.ts';
import { hasStatus, jobIdsOf, submitJdl, waitForJob } from '#test/integration/support/jobs.ts';
import { asPilot, registerPilot } from '#test/integration/support/pilots.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

describe('TaskQueues agent', () => {
  let runtime: TestRuntime;
  let clock = Date.now();
  const agent = () =>
    recalculateTaskQueues({
      ...runtime.deps,
      dynamo: runtime.aws.dynamo,
      table: runtime.resources.tables.taskQueues as string,
      now: () => new Date(clock),
    });
  const definitionOf = async (tqId: string) =>
    (
      await runtime.aws.dynamo.send(
        new GetCommand({
          TableName: runtime.resources.tables.taskQueues,
          Key: taskQueueKeys.definition(tqId),
          ConsistentRead: true,
        }),
      )
    ).Item;

  beforeAll(async () => {
    const config = testConfig();
    config.matcher.taskQueueCacheSeconds = 0.05;
    config.matcher.emptyTaskQueueSeconds = 60;
    runtime = await startTestRuntime({ config });
  });
  afterAll(() => runtime?.stop());

  it('writes priorities and per-priority counts, then deletes a task queue empty for long enough', async () => {
    const ids = await jobIdsOf(
      await submitJdl(runtime, [
        'Executable = "echo"; JobName = "a"; Tags = {"Agent"}; Priority = 3;',
        'Executable = "echo"; JobName = "b"; Tags = {"Agent"}; Priority = 1;',
      ]),
    );
    const jobs = await Promise.all(ids.map((id) => waitForJob(runtime, id, hasStatus('Waiting'))));
    const tqId = jobs[0]?.TaskQueueID as string;
    expect(jobs[1]?.TaskQueueID).toBe(tqId);

    await agent();
    expect(await definitionOf(tqId)).toMatchObject({ jobs: 2, levels: { 1: 1, 3: 1 }, priority: 1 });

    const pilot = await registerPilot(runtime);
    for (const _ of ids) {
      const answer = await runtime.api('/api/matcher/request', {
        method: 'POST',
        ...asPilot(pilot),
        json: { Site: 'LOCAL.localhost.local', CPUTime: 86_400, Tag: ['Agent'] },
      });
      expect(((await answer.json()) as { match: boolean }).match).toBe(true);
    }
    // The matcher removes claimed entries in a batch after its answer (shared/matcher/entry-removals.ts):
    // the agent counts 0 once that batch is written.
    await expect
      .poll(
        async () => {
          await agent();
          return (await definitionOf(tqId))?.jobs;
        },
        { timeout: 2_000 },
      )
      .toBe(0);
    const emptied = await definitionOf(tqId);
    expect(emptied).toMatchObject({ jobs: 0 });
    expect(emptied?.emptySince).toBeDefined();

    clock += 61_000;
    expect((await agent()).deleted).toBeGreaterThanOrEqual(1);
    expect(await definitionOf(tqId)).toBeUndefined();
  });
});
