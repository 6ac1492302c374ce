import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MatchedJob } from '#pilot/api.ts';
import { startJobWrapper } from '#pilot/wrapper/index.ts';
import { FakePilot, matchedJob, type PilotConfig, readText } from '#test/fixtures/pilot/fake-pilot.ts';
import { filesTarGz } from '#test/fixtures/pilot/tarball.ts';

let pilot: FakePilot;
beforeEach(() => {
  pilot = new FakePilot();
});
afterEach(() => pilot.cleanup());

const run = (job: MatchedJob, config: Partial<PilotConfig> = {}) =>
  startJobWrapper(job, pilot.context(config)).done;

/** A job running `script` (a shell script shipped in its input sandbox). */
function scriptJob(script: string, fields: Partial<MatchedJob> = {}, files: Record<string, string> = {}) {
  const sandbox = pilot.addSandbox(filesTarGz({ 'run.sh': `#!/bin/sh\n${script}\n`, ...files }));
  return matchedJob({ Executable: 'run.sh', InputSandbox: [sandbox], ...fields });
}

describe('Job wrapper with a JDL payload', () => {
  it('runs the executable of the input sandbox in the job directory and returns its output sandbox', async () => {
    const job = scriptJob(
      [
        'echo "args: $1|$2|$3"',
        'cat data/input.txt > result.txt',
        'echo "job $DIRACJOBID at $DIRACSITE on $DIRAC_PROCESSORS cores, $GREETING"',
        'echo oops >&2',
      ].join('\n'),
      {
        Arguments: `'two words' "say \\"hi\\"" plain`,
        OutputSandbox: ['result.txt', '*.log'],
        JDL: '[ Executable = "run.sh"; ExecutionEnvironment = { "GREETING=hello there" }; ]',
      },
      { 'data/input.txt': 'hello input' },
    );
    expect(await run(job)).toEqual({ status: 'Done' });

    const files = await pilot.outputSandbox(job.JobID);
    expect(files['result.txt']).toBe('hello input');
    expect(files['std.out']).toBe(
      'args: two words|say "hi"|plain\njob 1234 at LOCAL.test.org on 1 cores, hello there\n',
    );
    expect(files['std.err']).toBe('oops\n');
    expect(pilot.outputs.get(job.JobID)).toEqual({ OutputSandbox: pilot.uploadedSandboxes[0]?.reference });
    expect(existsSync(join(pilot.workRoot, String(job.JobID)))).toBe(false);
    expect(pilot.flushes).toBeGreaterThan(0);
  });

  it('reports DIRAC statuses in order, each stamped later than the one before', async () => {
    await run(scriptJob('echo done > out.txt', { OutputSandbox: ['out.txt'] }));
    expect(pilot.statuses.map((update) => [update.Status, update.MinorStatus])).toEqual([
      ['Running', 'Job Initialization'],
      [undefined, 'Downloading InputSandbox'],
      ['Running', 'Application'],
      ['Completing', 'Application Finished Successfully'],
      [undefined, 'Uploading Output Sandbox'],
      [undefined, 'Output Sandbox Uploaded'],
      ['Done', 'Execution Complete'],
    ]);
    const times = pilot.statuses.map((update) => Date.parse(update.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(times.length);
    expect(pilot.statuses.every((update) => update.Source === 'JobWrapper')).toBe(true);
  });

  it('fails "Application not found" without ever reporting "Application" when the executable does not exist', async () => {
    const outcome = await run(matchedJob({ Executable: 'no-such-program-here', OutputSandbox: ['x'] }));
    expect(outcome).toEqual({ status: 'Failed', minorStatus: 'Application not found' });
    expect(pilot.minors()).not.toContain('Application');
    expect(pilot.last()).toMatchObject({
      Status: 'Failed',
      ApplicationStatus: 'no-such-program-here not found',
    });
    expect(pilot.uploadedSandboxes).toEqual([]);
  });

  it('finds executables on PATH and runs absolute ones', async () => {
    const job = matchedJob({
      Executable: 'sh',
      Arguments: `-c "echo from path > out.txt"`,
      OutputSandbox: ['out.txt'],
    });
    expect(await run(job)).toEqual({ status: 'Done' });
    expect((await pilot.outputSandbox(job.JobID))['out.txt']).toBe('from path\n');
  });

  it('reschedules a job whose payload exits 1502, uploading nothing', async () => {
    const outcome = await run(scriptJob('echo bye; exit 1502', { OutputSandbox: ['std.out'] }));
    expect(outcome).toEqual({ status: 'Rescheduled', reason: 'Exit code 222' });
    expect(pilot.rescheduled).toEqual([1234]);
    expect(pilot.minors().at(-1)).toBe('Going to reschedule job');
    expect(pilot.uploadedSandboxes).toEqual([]);
    expect(pilot.outputs.size).toBe(0);
  });

  it('fails a payload that exits non-zero with "Exit code N", still returning its output sandbox', async () => {
    const job = scriptJob('for i in $(seq 1 30); do echo line $i; done; echo broken >&2; exit 3', {
      OutputData: ['std.out'],
      OutputSE: ['SE-A'],
    });
    const outcome = await run(job);
    expect(outcome).toEqual({ status: 'Failed', minorStatus: 'Application Finished With Errors' });
    expect(pilot.statuses).toContainEqual(
      expect.objectContaining({
        Status: 'Completing',
        MinorStatus: 'Application Finished With Errors',
        ApplicationStatus: 'Exit code 3',
      }),
    );
    expect(pilot.last()).toMatchObject({ Status: 'Failed', MinorStatus: 'Application Finished With Errors' });
    const files = await pilot.outputSandbox(job.JobID);
    expect(files['std.out']?.split('\n')).toHaveLength(31);
    expect(files['std.err']).toBe('broken\n');
    // A failed job uploads no output data (DIRAC).
    expect(pilot.replicas).toEqual([]);
    expect(pilot.minors()).not.toContain('Uploading Output Sandbox');
  });

  it('fails "Missing Output Files" when a named output was not produced, and lists it', async () => {
    const job = scriptJob('echo yes > made.txt', {
      OutputSandbox: ['made.txt', 'not-made.txt', '*.nothing'],
    });
    expect(await run(job)).toEqual({ status: 'Failed', minorStatus: 'Missing Output Files' });
    expect(pilot.outputs.get(job.JobID)?.MissingFiles).toEqual(['not-made.txt']);
    expect(Object.keys(await pilot.outputSandbox(job.JobID)).sort()).toEqual([
      'made.txt',
      'std.err',
      'std.out',
    ]);
  });

  it('fails "Unsafe output file" for an output link leading outside the job directory, and leaves it out', async () => {
    const job = scriptJob(
      'echo yes > made.txt; ln -s /etc/passwd leak.txt; mkdir d; ln -s ../made.txt d/ok',
      {
        OutputSandbox: ['made.txt', 'leak.txt', 'd'],
      },
    );
    expect(await run(job)).toEqual({ status: 'Failed', minorStatus: 'Unsafe output file' });
    const packed = Object.keys(await pilot.outputSandbox(job.JobID)).sort();
    expect(packed).toContain('made.txt');
    expect(packed).not.toContain('leak.txt');
  });

  it('fails "Output Sandbox Too Large" over the limit and returns the tails of std.out and std.err instead', async () => {
    const job = scriptJob('head -c 300000 /dev/urandom > big.bin; echo last words; echo err words >&2', {
      OutputSandbox: ['big.bin'],
    });
    const outcome = await run(job, { outputSandboxLimitBytes: 20_000 });
    expect(outcome).toEqual({ status: 'Failed', minorStatus: 'Output Sandbox Too Large' });
    expect(await pilot.outputSandbox(job.JobID)).toEqual({
      'std.out.tail': 'last words',
      'std.err.tail': 'err words',
    });
    expect(pilot.last()).toMatchObject({ Status: 'Failed', MinorStatus: 'Output Sandbox Too Large' });
  });

  it('downloads input data into the job directory', async () => {
    pilot.addLfn('/vo.example.org/data/run1/events.txt', 'event data');
    const job = scriptJob('cat events.txt > copy.txt', {
      InputData: ['/vo.example.org/data/run1/events.txt'],
      OutputSandbox: ['copy.txt'],
    });
    expect(await run(job)).toEqual({ status: 'Done' });
    expect((await pilot.outputSandbox(job.JobID))['copy.txt']).toBe('event data');
    expect(pilot.minors()).toContain('Input Data Resolution');
  });

  it('accepts input data whose adler32 matches the catalog checksum', async () => {
    pilot.addLfn('/vo.example.org/data/run1/events.txt', 'event data', 'adler32:15A003DD');
    const job = scriptJob('cat events.txt', { InputData: ['/vo.example.org/data/run1/events.txt'] });
    expect(await run(job)).toEqual({ status: 'Done' });
  });

  it('fails "Input Data Resolution Failed", naming the LFN, when input data does not match the catalog checksum', async () => {
    pilot.addLfn('/vo.example.org/data/run1/events.txt', 'event data', 'adler32:0a1b2c3d');
    const job = scriptJob('true', { InputData: ['/vo.example.org/data/run1/events.txt'] });
    expect(await run(job)).toEqual({ status: 'Failed', minorStatus: 'Input Data Resolution Failed' });
    expect(pilot.minors()).not.toContain('Application');
    expect(pilot.last()?.ApplicationStatus).toMatch(
      /\/vo\.example\.org\/data\/run1\/events\.txt.*adler32:0a1b2c3d/,
    );
  });

  it('fails "Input Data Resolution Failed" when an LFN has no replica', async () => {
    const job = scriptJob('true', { InputData: ['/vo.example.org/data/none.txt'] });
    expect(await run(job)).toEqual({ status: 'Failed', minorStatus: 'Input Data Resolution Failed' });
    expect(pilot.minors()).not.toContain('Application');
  });

  it('fails "Input Sandbox Download Failed" when an LFN of the input sandbox has no replica', async () => {
    const job = scriptJob('true', { InputSandbox: ['LFN:/vo.example.org/data/none.txt'] });
    expect(await run(job)).toEqual({ status: 'Failed', minorStatus: 'Input Sandbox Download Failed' });
    expect(pilot.minors()).not.toContain('Application');
  });

  it('fails "Input Sandbox Download Failed" when a sandbox cannot be downloaded', async () => {
    const job = matchedJob({
      Executable: 'run.sh',
      InputSandbox: ['SB:SandboxSE|/S3/b/sandboxes/x/y/z/sha256:00.tar.gz'],
    });
    expect(await run(job)).toEqual({ status: 'Failed', minorStatus: 'Input Sandbox Download Failed' });
  });
});

describe('Job wrapper output data', () => {
  it('uploads to the first storage element that takes each file, registering size and Adler-32', async () => {
    pilot.failingStorageElements.add('BROKEN-SE');
    const job = scriptJob(
      'printf Wikipedia > result.txt; echo b > other.txt; echo c > c1.dat; echo d > c2.dat',
      {
        OutputData: ['result.txt', 'LFN:/vo.example.org/user/a/alice/custom/other.txt', '*.dat'],
        OutputSE: ['BROKEN-SE', 'GOOD-SE'],
      },
    );
    expect(await run(job)).toEqual({ status: 'Done' });
    const lfn = '/vo.example.org/user/a/alice/1/1234/result.txt';
    expect(pilot.replicas.map((replica) => [replica.LFN, replica.SE])).toEqual([
      [lfn, 'GOOD-SE'],
      ['/vo.example.org/user/a/alice/custom/other.txt', 'GOOD-SE'],
      ['/vo.example.org/user/a/alice/1/1234/c1.dat', 'GOOD-SE'],
      ['/vo.example.org/user/a/alice/1/1234/c2.dat', 'GOOD-SE'],
    ]);
    expect(pilot.replicas[0]).toMatchObject({ Size: 9, Checksum: 'adler32:11e60398' });
    expect(readText(pilot.sePath('GOOD-SE', lfn))).toBe('Wikipedia');
    expect(pilot.outputs.get(job.JobID)?.OutputData).toHaveLength(4);
    expect(pilot.minors()).toEqual(expect.arrayContaining(['Uploading Output Data', 'Output Data Uploaded']));
  });

  it('puts files under the OutputPath and falls back to the failover storage elements', async () => {
    pilot.failingStorageElements.add('SE-A');
    const job = scriptJob('echo x > out.txt', {
      OutputData: ['out.txt'],
      OutputSE: ['SE-A'],
      OutputPath: 'campaign/7',
    });
    expect(await run(job, { failoverStorageElements: ['FAILOVER-SE'] })).toEqual({ status: 'Done' });
    expect(pilot.replicas).toEqual([
      expect.objectContaining({ LFN: '/vo.example.org/user/a/alice/campaign/7/out.txt', SE: 'FAILOVER-SE' }),
    ]);
  });

  it('fails "Uploading Output Data" when no storage element takes a file', async () => {
    pilot.failingStorageElements.add('SE-A');
    const job = scriptJob('echo x > out.txt', { OutputData: ['out.txt'], OutputSE: ['SE-A'] });
    expect(await run(job)).toEqual({ status: 'Failed', minorStatus: 'Uploading Output Data' });
    expect(pilot.replicas).toEqual([]);
    // The sandbox was uploaded before the data.
    expect(pilot.outputs.get(job.JobID)?.OutputSandbox).toBeDefined();
  });
});

describe('Job wrapper hooks', () => {
  const hooks = {
    preProcess: 'community-hooks.ts#preProcess',
    postProcess: 'community-hooks.ts#postProcess',
  };

  it('lets a community hook change the environment and finalize the job outside the payload', async () => {
    const job = scriptJob('echo "$COMMUNITY_SETUP" > setup.txt; exit 3', { OutputSandbox: ['setup.txt'] });
    expect(await run(job, { hooks })).toEqual({ status: 'Done' });
    const files = await pilot.outputSandbox(job.JobID);
    expect(files['setup.txt']).toBe('site=LOCAL.test.org\n');
    expect(JSON.parse(files['summary.json'] ?? '{}')).toMatchObject({ exitCode: 3 });
    expect(pilot.statuses).toContainEqual(
      expect.objectContaining({ ApplicationStatus: 'Exit code 3 (accepted by the community)' }),
    );
  });

  it("keeps muon's verdict where the community hook defers to it", async () => {
    const job = scriptJob('exit 4');
    expect(await run(job, { hooks })).toEqual({
      status: 'Failed',
      minorStatus: 'Application Finished With Errors',
    });
    expect(Object.keys(await pilot.outputSandbox(job.JobID))).toContain('summary.json');
  });

  it('reschedules the job when a configured hook cannot be loaded', async () => {
    const outcome = await run(scriptJob('true'), { hooks: { preProcess: 'community-hooks.ts#notAHook' } });
    expect(outcome).toMatchObject({ status: 'Rescheduled' });
    expect(pilot.minors()).toEqual(['Job Wrapper Initialization']);
    expect(pilot.rescheduled).toEqual([1234]);
  });
});
