/**
 * Output data carry the job's metadata into the catalog: a CWL job whose `dirac:ExecutionHooks`
 * (or `dirac:Job`) hint gives `output_metadata` runs on a real local pilot, which uploads its
 * output and registers it with that metadata, so a metadata query finds it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJob, hasStatus, waitForJob } from '#test/integration/support/jobs.ts';
import { quickPilotConfig, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

const vo = 'vo.example.org';
const home = `/${vo}/user/a/alice`;

/** A tool writing one file, `name`, uploaded under `outputPath` with `hint`'s metadata. */
function tool(name: string, hint: Record<string, unknown>) {
  return {
    cwlVersion: 'v1.2',
    class: 'CommandLineTool',
    $namespaces: { dirac: 'https://diracgrid.org/cwl#' },
    baseCommand: ['sh', '-c', `echo produced > ${name}`],
    inputs: {},
    outputs: { result: { type: 'File', outputBinding: { glob: name } } },
    hints: [hint],
  };
}

describe('Output data metadata from the job hints', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime({
      config: quickPilotConfig(1),
      scheduleEveryMs: 500,
      pilots: { idleStopSeconds: 5 },
    });
  }, 60_000);
  afterAll(() => runtime?.stop(), 30_000);

  it('registers the outputs of a job on a real pilot with its output_metadata, found by a query', async () => {
    // The local pilots offer less CPU time than the default a CWL job asks for.
    const submit = (workflow: unknown) =>
      runtime.api('/api/jobs', { method: 'POST', json: { workflow, hints: { cpuTime: 100 } } });
    const responses = await Promise.all([
      submit(
        tool('hooks.txt', {
          class: 'dirac:ExecutionHooks',
          output_paths: { result: `lfn:${home}/om/hooks` },
          output_se: ['LOCAL-DISK'],
          output_metadata: { omRun: 7, omType: 'DST', omTaken: '2024-03-01' },
        }),
      ),
      submit(
        tool('job.txt', {
          class: 'dirac:Job',
          outputData: [{ source: 'result', outputPath: `${home}/om/job` }],
          outputSE: ['LOCAL-DISK'],
          outputMetadata: { omRun: 8, omType: 'DST' },
        }),
      ),
    ]);
    const ids: number[] = [];
    for (const response of responses) {
      const body = (await response.json()) as { JobID: number }[];
      expect(response.status, JSON.stringify(body)).toBe(201);
      ids.push((body[0] as { JobID: number }).JobID);
    }
    for (const id of ids) {
      const job = await waitForJob(runtime, id, hasStatus('Done', 'Failed'), 90_000);
      expect(job.Status, JSON.stringify(await getJob(runtime, id))).toBe('Done');
    }

    const find = async (query: string) => {
      const response = await runtime.api('/api/data/find', { method: 'POST', json: { Query: query } });
      expect(response.status, await response.clone().text()).toBe(200);
      return ((await response.json()) as { LFNs: string[] }).LFNs.sort();
    };
    expect(await find('omType=DST')).toEqual([`${home}/om/hooks/hooks.txt`, `${home}/om/job/job.txt`]);
    expect(await find('omType=DST omRun>7')).toEqual([`${home}/om/job/job.txt`]);
    expect(await find('omTaken>=2024-03-01')).toEqual([`${home}/om/hooks/hooks.txt`]);
    const shown = await runtime.api(
      `/api/data/metadata?path=${encodeURIComponent(`${home}/om/hooks/hooks.txt`)}`,
    );
    expect(await shown.json()).toMatchObject({
      Metadata: { omRun: 7, omType: 'DST', omTaken: '2024-03-01T00:00:00.000Z' },
      Types: { omRun: 'integer', omType: 'string', omTaken: 'date' },
    });
  }, 150_000);
});
