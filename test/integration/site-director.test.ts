/**
 * The SiteDirector on the embedded runtime: waiting jobs bring up Local pilot processes, whose
 * records go Submitted → Running → Done; an element that fails is left alone while the others get
 * pilots; a pilot killed mid-job is marked Failed from its element, and its job is rescheduled and
 * run to Done by a new pilot.
 */
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSiteDirector } from '#shared/agents/site-director.ts';
import { type ComputingElement, ComputingElementUnavailableError } from '#shared/ce/index.ts';
import { createLogger } from '#shared/log.ts';
import { getPilot } from '#shared/pilots/records.ts';
import {
  hasStatus,
  jobIdsOf,
  payloadScratch,
  submitJdl,
  waitForJob,
} from '#test/integration/support/jobs.ts';
import { killLocalPilot, localPilotsConfig } from '#test/integration/support/local-pilots.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

const scratch = payloadScratch('muon-site-director-');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const config = () => localPilotsConfig(0.5, { stalledAfterSeconds: 3 });

describe('SiteDirector with the Local computing element', () => {
  let runtime: TestRuntime;
  const pilotRecord = (reference: string) =>
    getPilot(runtime.aws.dynamo, runtime.resources.tables.pilots as string, reference);

  beforeAll(async () => {
    runtime = await startTestRuntime({
      config: config(),
      scheduleEveryMs: 500,
      pilots: { idleStopSeconds: 2 },
    });
  }, 60_000);
  afterAll(() => runtime?.stop(), 30_000);

  it('submits pilots for waiting jobs, which run them and end idle: records Submitted, then Done', async () => {
    const started = performance.now();
    const [jobId] = await jobIdsOf(await submitJdl(runtime, ['Executable = "/bin/true";']));
    const done = await waitForJob(runtime, jobId as number, hasStatus('Done'), 45_000);
    const reference = (done.Parameters as Record<string, string>).Pilot_Reference as string;
    expect(reference).toMatch(/^local:\/\//);
    expect(runtime.pilots?.started).toContain(reference);
    const record = await pilotRecord(reference);
    // The pilot registered under the reference its element handed out, taking over the record.
    expect(record).toMatchObject({ site: 'LOCAL.localhost.local', gridCE: 'localhost', ceType: 'Local' });
    expect(record?.submittedAt).toBeDefined();
    expect(record?.registeredAt).toBeDefined();
    expect(performance.now() - started).toBeLessThan(45_000);
    await vi.waitFor(async () => expect((await pilotRecord(reference))?.status).toBe('Done'), {
      timeout: 20_000,
      interval: 200,
    });
    await vi.waitFor(async () => expect(await runtime.pilots?.running()).toEqual([]), { timeout: 10_000 });
  }, 90_000);

  it('reschedules the job of a pilot killed mid-job, and a new pilot runs it to Done', async () => {
    const marker = join(scratch, 'ran-once');
    const script = join(scratch, 'long-once.sh');
    writeFileSync(script, `#!/bin/sh\nif [ -e '${marker}' ]; then exit 0; fi\ntouch '${marker}'\nsleep 20\n`);
    chmodSync(script, 0o755);
    const [jobId] = await jobIdsOf(await submitJdl(runtime, [`Executable = "${script}";`]));
    const running = await waitForJob(runtime, jobId as number, hasStatus('Running'), 45_000);
    const killed = (running.Parameters as Record<string, string>).Pilot_Reference as string;
    // The whole pilot, wrapper included, as a node failure or the OOM killer would.
    killLocalPilot(killed);

    await vi.waitFor(async () => expect((await pilotRecord(killed))?.status).toBe('Failed'), {
      timeout: 20_000,
      interval: 200,
    });
    const done = await waitForJob(runtime, jobId as number, hasStatus('Done'), 60_000);
    expect(Number(done.RescheduleCounter)).toBeGreaterThanOrEqual(1);
    expect((done.Parameters as Record<string, string>).Pilot_Reference).not.toBe(killed);
  }, 120_000);
});

describe('SiteDirector and a failing computing element', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    const settings = testConfig();
    settings.sites = {
      ...settings.sites,
      'TEST.cloud.org': {
        banned: false,
        storageElements: [],
        computingElements: {
          down: { type: 'Local', maxPilots: 10, processors: 1, tags: [], settings: {} },
          up: { type: 'Local', maxPilots: 10, processors: 1, tags: [], settings: {} },
        },
      },
    };
    runtime = await startTestRuntime({ config: settings });
  }, 60_000);
  afterAll(() => runtime?.stop(), 30_000);

  it('leaves a failed element alone for a few cycles, with one warn line, while the others get pilots', async () => {
    const ids = await jobIdsOf(
      await submitJdl(runtime, ['Executable = "/bin/true";', 'Executable = "/bin/true";']),
    );
    for (const id of ids) await waitForJob(runtime, id, hasStatus('Waiting'));
    const lines: string[] = [];
    let asked = 0;
    let submitted = 0;
    const fake = (
      name: string,
      available: () => Promise<{ running: number; waiting: number; slots: number }>,
    ) =>
      ({
        name,
        type: 'Local',
        site: 'TEST.cloud.org',
        available,
        submitPilots: async (count: number) =>
          Array.from({ length: count }, () => `fake://${name}/${++submitted}`),
        status: async (references: readonly string[]) =>
          new Map(references.map((r) => [r, 'Waiting' as const])),
        cancel: async () => undefined,
      }) satisfies ComputingElement;
    const director = createSiteDirector({
      config: { ...runtime.deps.config, agents: { ...runtime.deps.config.agents } },
      dynamo: runtime.aws.dynamo,
      pilotsTable: runtime.resources.tables.pilots as string,
      taskQueuesTable: runtime.resources.tables.taskQueues as string,
      elements: [
        fake('down', async () => {
          asked += 1;
          throw new ComputingElementUnavailableError('AwsBatch CE TEST.cloud.org/down is throttled');
        }),
        fake('up', async () => ({ running: 0, waiting: 0, slots: 10 })),
      ],
      pilotSpec: () => ({ arguments: ['pilot'], env: {} }),
      now: () => new Date(),
      logger: createLogger({ level: 'warn', write: (line) => lines.push(line) }),
    });

    const first = await director.run();
    expect(first.elements.find((e) => e.element === 'TEST.cloud.org/up')?.submitted).toBe(2);
    expect(first.elements.find((e) => e.element === 'TEST.cloud.org/down')?.skipped).toBe('failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('computing element TEST.cloud.org/down failed');
    expect(lines[0]).toContain('is throttled');
    const records = await Promise.all(
      ['fake://up/1', 'fake://up/2'].map((r) =>
        getPilot(runtime.aws.dynamo, runtime.resources.tables.pilots as string, r),
      ),
    );
    expect(records.map((r) => r?.status)).toEqual(['Submitted', 'Submitted']);

    // Left alone for the next cycles (DIRAC's FailedQueueCycleFactor 10), then tried again.
    for (let cycle = 2; cycle <= 10; cycle += 1) {
      const run = await director.run();
      expect(run.elements.find((e) => e.element === 'TEST.cloud.org/down')?.skipped).toBe('failed recently');
    }
    expect(asked).toBe(1);
    await director.run();
    expect(asked).toBe(2);
    // The two pilots waiting at "up" cover the two jobs: no more are submitted.
    expect(submitted).toBe(2);
  }, 60_000);
});
