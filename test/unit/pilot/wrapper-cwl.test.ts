import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { MatchedJob } from '#pilot/api.ts';
import { dockerWorks } from '#pilot/wrapper/default-hooks.ts';
import { startJobWrapper } from '#pilot/wrapper/index.ts';
import { canonicalJson } from '#shared/cwl/canonical.ts';
import { FakePilot, matchedJob, readText } from '#test/fixtures/pilot/fake-pilot.ts';
import { filesTarGz } from '#test/fixtures/pilot/tarball.ts';

// cwltool takes a few seconds per run: the tests run concurrently, each with its own fake API.
const timeout = 60_000;

const pilots: FakePilot[] = [];
const newPilot = () => {
  const pilot = new FakePilot();
  pilots.push(pilot);
  return pilot;
};
afterAll(() => {
  for (const pilot of pilots) pilot.cleanup();
});

/** A workflow as the pilot receives it: the canonical JSON the server stores. */
const workflow = (document: unknown): unknown => JSON.parse(canonicalJson(document));
const fixture = (path: string) => workflow(parse(readFileSync(path, 'utf8')));

const cwlJob = (Workflow: unknown, fields: Partial<MatchedJob> = {}) =>
  matchedJob({ Kind: 'cwl', Workflow, ...fields });

const run = (pilot: FakePilot, job: MatchedJob) => startJobWrapper(job, pilot.context()).done;

describe.concurrent('Job wrapper with a CWL payload', () => {
  it(
    'runs hello-world with its inputs and returns the output object with sandbox locations',
    async () => {
      const pilot = newPilot();
      const job = cwlJob(fixture('test/fixtures/cwl/hello-world.cwl'), {
        Inputs: { message: 'Hello from muon' },
      });
      expect(await run(pilot, job)).toEqual({ status: 'Done' });
      const files = await pilot.outputSandbox(job.JobID);
      expect(files['outputs/hello.txt']).toBe('Hello from muon\n');
      expect(files['std.err']).toContain('Final process status is success');
      expect(pilot.outputs.get(job.JobID)?.CWLOutput).toEqual({
        greeting: expect.objectContaining({
          class: 'File',
          basename: 'hello.txt',
          size: 16,
          location: 'sandbox:outputs/hello.txt',
        }),
      });
      expect(JSON.stringify(pilot.outputs.get(job.JobID))).not.toContain(pilot.workRoot);
    },
    timeout,
  );

  it(
    'runs a two-step workflow',
    async () => {
      const pilot = newPilot();
      const job = cwlJob(fixture('test/fixtures/cwl/two-step-workflow.cwl'), {
        Inputs: { message: 'Hello from muon' },
      });
      expect(await run(pilot, job)).toEqual({ status: 'Done' });
      expect((await pilot.outputSandbox(job.JobID))['outputs/count.txt']?.trim()).toMatch(/^16\b/);
      expect(pilot.outputs.get(job.JobID)?.CWLOutput).toMatchObject({
        count: { location: 'sandbox:outputs/count.txt' },
      });
    },
    timeout,
  );

  it(
    'runs a packed workflow through its #main',
    async () => {
      const pilot = newPilot();
      const job = cwlJob(fixture('test/fixtures/cwl/packed-workflow.cwl'), { Inputs: { message: 'packed' } });
      expect(await run(pilot, job)).toEqual({ status: 'Done' });
      expect((await pilot.outputSandbox(job.JobID))['outputs/message.txt']).toBe('packed\n');
    },
    timeout,
  );

  it(
    'feeds input Files from the sandbox and from input data, and sends outputs to output data',
    async () => {
      const pilot = newPilot();
      const sandbox = pilot.addSandbox(filesTarGz({ 'data/a.txt': 'from the sandbox\n' }));
      pilot.addLfn('/vo.example.org/data/b.txt', 'from input data\n');
      const job = cwlJob(fixture('test/fixtures/pilot/concat.cwl'), {
        Inputs: {
          first: { class: 'File', location: `${sandbox}#data/a.txt` },
          second: { class: 'File', location: 'LFN:/vo.example.org/data/b.txt' },
        },
        InputSandbox: [sandbox],
        InputData: ['/vo.example.org/data/b.txt'],
        OutputData: [
          JSON.stringify({ source: 'joined', outputPath: '/vo.example.org/user/a/alice/cwl' }),
          JSON.stringify({ pattern: 'extra*.txt', outputPath: 'LFN:/vo.example.org/user/a/alice/extras' }),
        ],
        OutputSE: ['SE-A'],
      });
      expect(await run(pilot, job)).toEqual({ status: 'Done' });
      const lfn = '/vo.example.org/user/a/alice/cwl/joined.txt';
      expect(readText(pilot.sePath('SE-A', lfn))).toBe('from the sandbox\nfrom input data\n');
      const outputs = pilot.outputs.get(job.JobID);
      expect(outputs?.CWLOutput).toMatchObject({
        joined: { location: `lfn:${lfn}` },
        extra: { location: 'lfn:/vo.example.org/user/a/alice/extras/extra.txt' },
      });
      expect(outputs?.OutputData?.map((record) => record.LFN)).toEqual([
        lfn,
        '/vo.example.org/user/a/alice/extras/extra.txt',
      ]);
      // Output data does not travel in the sandbox too.
      expect(Object.keys(await pilot.outputSandbox(job.JobID)).sort()).toEqual(['std.err', 'std.out']);
    },
    timeout,
  );

  it(
    'fails "Unsupported CWL requirement" when the tool requires a container and none can run',
    async () => {
      const pilot = newPilot();
      // Where Docker works, the container would run: nothing to test here.
      if (await dockerWorks()) return;
      const job = cwlJob(
        workflow({
          cwlVersion: 'v1.2',
          class: 'CommandLineTool',
          requirements: [{ class: 'DockerRequirement', dockerPull: 'alpine:3' }],
          baseCommand: 'true',
          inputs: {},
          outputs: {},
        }),
      );
      expect(await run(pilot, job)).toEqual({ status: 'Failed', minorStatus: 'Unsupported CWL requirement' });
      expect(pilot.statuses).toContainEqual(expect.objectContaining({ ApplicationStatus: 'Exit code 33' }));
    },
    timeout,
  );

  it(
    'fails with the exit code when the tool fails, returning cwltool’s log',
    async () => {
      const pilot = newPilot();
      const job = cwlJob(
        workflow({
          cwlVersion: 'v1.2',
          class: 'CommandLineTool',
          baseCommand: 'false',
          inputs: {},
          outputs: {},
        }),
      );
      expect(await run(pilot, job)).toEqual({
        status: 'Failed',
        minorStatus: 'Application Finished With Errors',
      });
      expect((await pilot.outputSandbox(job.JobID))['std.err']).toContain('permanentFail');
    },
    timeout,
  );
});
