/**
 * A pilot killed between the matcher's claim and its job's first report (the job still Matched)
 * cannot hand the job back: once its element shows it ended, the StalledJobs agent reschedules the
 * job at once, not after `matchedTimeoutSeconds`, and a new pilot runs it to Done.
 */
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getPilot } from '#shared/pilots/records.ts';
import {
  getJob,
  hasStatus,
  jobIdsOf,
  payloadScratch,
  submitJdl,
  waitForJob,
} from '#test/integration/support/jobs.ts';
import { killLocalPilot, localPilotsConfig } from '#test/integration/support/local-pilots.ts';
import { startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

const scratch = payloadScratch('muon-killed-matched-');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// A started job's statuses wait for the heartbeat (or its end): it stays Matched meanwhile.
const config = () => localPilotsConfig(30, { matchedTimeoutSeconds: 3600 });

describe('A pilot killed while its job is Matched', () => {
  let runtime: TestRuntime;
  const pilotRecord = (reference: string) =>
    getPilot(runtime.aws.dynamo, runtime.resources.tables.pilots as string, reference);

  beforeAll(async () => {
    runtime = await startTestRuntime({
      config: config(),
      scheduleEveryMs: 500,
      pilots: { idleStopSeconds: 5 },
    });
  }, 60_000);
  afterAll(() => runtime?.stop(), 30_000);

  it('gets the job rescheduled as soon as the pilot is seen ended, and a new pilot runs it to Done', async () => {
    const marker = join(scratch, 'ran-once');
    const script = join(scratch, 'long-once.sh');
    writeFileSync(script, `#!/bin/sh\nif [ -e '${marker}' ]; then exit 0; fi\ntouch '${marker}'\nsleep 20\n`);
    chmodSync(script, 0o755);
    const [jobId] = await jobIdsOf(await submitJdl(runtime, [`Executable = "${script}";`]));
    const matched = await waitForJob(runtime, jobId as number, hasStatus('Matched'), 45_000);
    const killed = (matched.Parameters as Record<string, string>).Pilot_Reference as string;
    // Its payload runs, and the job is still Matched: nothing was reported yet.
    await vi.waitFor(() => expect(existsSync(marker)).toBe(true), { timeout: 30_000, interval: 100 });
    expect((await getJob(runtime, jobId as number, 'admin')).body.Status).toBe('Matched');
    const killedAt = Date.now();
    killLocalPilot(killed);

    await vi.waitFor(async () => expect((await pilotRecord(killed))?.status).toBe('Failed'), {
      timeout: 20_000,
      interval: 200,
    });
    const back = await waitForJob(
      runtime,
      jobId as number,
      (job) => Number(job.RescheduleCounter) >= 1,
      30_000,
    );
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    const history = (back.LoggingInfo as { Status: string; Source: string }[]).map(
      (entry) => `${entry.Status}/${entry.Source}`,
    );
    // Matched by the killed pilot, never Running, then handed back by the agent.
    const firstRun = history.slice(0, history.indexOf('Rescheduled/StalledJobAgent') + 2);
    expect(firstRun.slice(-4)).toEqual([
      'Waiting/JobScheduling',
      'Matched/Matcher',
      'Rescheduled/StalledJobAgent',
      'Received/StalledJobAgent',
    ]);

    const done = await waitForJob(runtime, jobId as number, hasStatus('Done'), 60_000);
    expect(done.RescheduleCounter).toBe(1);
    expect((done.Parameters as Record<string, string>).Pilot_Reference).not.toBe(killed);
  }, 150_000);
});
