import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MatchedJob } from '#pilot/api.ts';
import { ApiCallError } from '#pilot/retry.ts';
import { startJobWrapper } from '#pilot/wrapper/index.ts';
import { FakePilot, matchedJob, type PilotConfig } from '#test/fixtures/pilot/fake-pilot.ts';
import { filesTarGz } from '#test/fixtures/pilot/tarball.ts';

let pilot: FakePilot;
beforeEach(() => {
  pilot = new FakePilot();
});
afterEach(() => pilot.cleanup());

/** Output uploads retried quickly, within a short deadline, so that the test stays fast. */
const uploads = (deadlineSeconds: number): Partial<PilotConfig> => ({
  outputUploads: { deadlineSeconds, firstRetrySeconds: 0.05, maxRetrySeconds: 0.2 },
});

function scriptJob(script: string, fields: Partial<MatchedJob> = {}) {
  const sandbox = pilot.addSandbox(filesTarGz({ 'run.sh': `#!/bin/sh\n${script}\n` }));
  return matchedJob({ Executable: 'run.sh', InputSandbox: [sandbox], OutputSandbox: ['out.txt'], ...fields });
}

/** What the HTTP client throws once its own retries of a 503 are spent. */
const unavailable = (what: string) => ApiCallError.answered(what, 503, { detail: 'Service Unavailable' });

/** The output-sandbox route fails for `ms`, then takes uploads again; records whether the archive stayed. */
function sandboxRouteDownFor(ms: number) {
  const upload = pilot.job.uploadOutputSandbox;
  const started = Date.now();
  const seen = { failures: 0, archiveKept: true };
  pilot.job.uploadOutputSandbox = async (jobId, archive, sha256, size) => {
    seen.archiveKept &&= existsSync(archive);
    if (Date.now() - started < ms) {
      seen.failures += 1;
      // Slow and then failing, as a route timing out does.
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw unavailable(`POST /api/jobs/${jobId}/sandbox/output`);
    }
    return upload(jobId, archive, sha256, size);
  };
  return seen;
}

describe('Job wrapper output uploads under a slow or unreachable API', () => {
  it('keeps trying the output sandbox while the route fails, and ends Done with its output', async () => {
    const seen = sandboxRouteDownFor(600);
    const outcome = await startJobWrapper(scriptJob('echo result > out.txt'), pilot.context(uploads(30)))
      .done;
    expect(outcome).toEqual({ status: 'Done' });
    expect(seen.failures).toBeGreaterThan(1);
    expect(seen.archiveKept).toBe(true);
    expect((await pilot.outputSandbox(1234))['out.txt']).toBe('result\n');
    expect(pilot.outputs.get(1234)?.OutputSandbox).toBe(pilot.uploadedSandboxes[0]?.reference);
    expect(pilot.minors()).not.toContain('Output Sandbox Too Large');
    expect(pilot.last()).toMatchObject({ Status: 'Done', MinorStatus: 'Execution Complete' });
    expect(pilot.rescheduled).toEqual([]);
  });

  it('reschedules the job, never fails it, when the route is still down at the deadline', async () => {
    const seen = sandboxRouteDownFor(60_000);
    const started = Date.now();
    const outcome = await startJobWrapper(scriptJob('echo result > out.txt'), pilot.context(uploads(1))).done;
    expect(outcome).toMatchObject({ status: 'Rescheduled' });
    expect((outcome as { reason: string }).reason).toMatch(/not uploaded within 1 s.*discarded/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(seen.failures).toBeGreaterThan(2);
    expect(seen.archiveKept).toBe(true);
    expect(pilot.rescheduled).toEqual([1234]);
    expect(pilot.statuses.map((update) => update.Status)).not.toContain('Failed');
    expect(pilot.last()).toMatchObject({ MinorStatus: 'Uploading Output Sandbox' });
  });

  it('still fails at once on a refusal (a 4xx is an answer, not an outage)', async () => {
    pilot.job.uploadOutputSandbox = async () => {
      throw ApiCallError.answered('POST /api/jobs/1234/sandbox/output', 413, { detail: 'too large' });
    };
    const outcome = await startJobWrapper(scriptJob('echo result > out.txt'), pilot.context(uploads(30)))
      .done;
    expect(outcome).toEqual({ status: 'Failed', minorStatus: 'Uploading Output Sandbox' });
    expect(pilot.rescheduled).toEqual([]);
  });

  it('tries output data again while the data manager is unreachable, then registers it', async () => {
    const target = pilot.job.uploadTarget;
    let failures = 0;
    pilot.job.uploadTarget = async (jobId, lfn, se, size) => {
      if (failures < 3) {
        failures += 1;
        throw ApiCallError.unreachable('POST /api/data/upload', new Error('ECONNREFUSED'));
      }
      return target(jobId, lfn, se, size);
    };
    const job = scriptJob('echo data > out.dat; echo s > out.txt', {
      OutputData: ['out.dat'],
      OutputSE: ['SE-A'],
    });
    const outcome = await startJobWrapper(job, pilot.context(uploads(30))).done;
    expect(outcome).toEqual({ status: 'Done' });
    expect(failures).toBe(3);
    expect(pilot.replicas).toHaveLength(1);
    expect(pilot.replicas[0]?.LFN).toMatch(/\/out\.dat$/);
  });
});
