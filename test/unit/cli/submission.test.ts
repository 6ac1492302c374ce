import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InsertedJob } from '#cli/commands/job-api.ts';
import { type Chunk, chunkKey, chunkUnits, sendChunks } from '#cli/commands/job-bulk.ts';
import { planCwl } from '#cli/commands/job-submit-cwl.ts';
import { planJdl } from '#cli/commands/job-submit-jdl.ts';
import { CliError } from '#cli/errors.ts';
import { noProgress } from '#cli/format.ts';
import type { SandboxPlan } from '#cli/inputs.ts';
import { getString, getStringList, parseJdl } from '#shared/jdl/index.ts';
import { cliErrorOf } from './cli-error.ts';

const sandbox = (n: number) =>
  `SB:SandboxSE|/S3/muon/sandboxes/vo/user/alice/sha256:${String(n).repeat(64)}.tar.gz`;

/** Records the sandboxes a submission would upload and names each after its order of arrival. */
function fakeUploader() {
  const plans: SandboxPlan[] = [];
  return {
    plans,
    upload: async (plan: SandboxPlan) => {
      plans.push(plan);
      return sandbox(plans.length % 10);
    },
  };
}

describe('Bulk submission', () => {
  it('groups units into requests of at most 1000 jobs, never splitting one', () => {
    const units = [600, 300, 200, 1500, 1].map((jobs, value) => ({ value, jobs }));
    expect(chunkUnits(units)).toEqual([[0, 1], [2], [3], [4]]);
    expect(chunkUnits([])).toEqual([]);
  });

  it('derives one idempotency key per request, the given one when there is one request', () => {
    expect(chunkKey('K', 0, 1)).toBe('K');
    expect([0, 1, 2].map((i) => chunkKey('K', i, 3))).toEqual(['K-1', 'K-2', 'K-3']);
  });

  it('after a failed request, says how many jobs exist and how to send the rest without duplicates', async () => {
    const chunks: Chunk[] = [0, 1, 2].map((i) => ({ body: i, jobs: 1000 }));
    const keys: string[] = [];
    const api = {
      submit: async (_path: string, body: unknown, key: string): Promise<InsertedJob[]> => {
        keys.push(key);
        if (body === 2) throw new CliError('POST /api/jobs failed (503): try later');
        return [{ JobID: Number(body), Status: 'Received', MinorStatus: 'Job accepted', TimeStamp: '' }];
      },
    };
    const submitted: InsertedJob[] = [];
    const sending = sendChunks(
      api,
      '/api/jobs',
      chunks,
      { value: 'abc', given: false },
      noProgress,
      submitted,
    );
    await expect(sending).rejects.toThrow(
      'POST /api/jobs failed (503): try later\n2 of 3000 jobs were submitted (requests 1-2 of 3). ' +
        'Run the same command again with --idempotency-key abc to submit the rest without duplicating them.',
    );
    expect(keys).toEqual(['abc-1', 'abc-2', 'abc-3']);
    expect(submitted.map((job) => job.JobID)).toEqual([0, 1]);
  });

  it('names the file of each entry the API refused by its place (jdl[1], inputs[0])', async () => {
    const refused =
      'POST /api/jobs/jdl failed (400): The submission was refused; nothing was stored. 2 problem(s):';
    const api = {
      submit: async (): Promise<InsertedJob[]> => {
        throw new CliError(`${refused}\njdl[0]: CPUTime must be a number\njdl[2]: Executable is required`);
      },
    };
    const chunk: Chunk = { body: ['x', 'y', 'z'], jobs: 3, sources: ['a.jdl', 'b.jdl', 'dir/c.jdl'] };
    await expect(
      sendChunks(api, '/api/jobs/jdl', [chunk], { value: 'k', given: false }, noProgress, []),
    ).rejects.toThrow(
      `${refused}\njdl[0] (a.jdl): CPUTime must be a number\njdl[2] (dir/c.jdl): Executable is required`,
    );
  });
});

describe('Preparing submissions', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'muon-submit-'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'numbers.txt'), '1\n2\n');
    for (const p of ['a', 'b']) writeFileSync(join(dir, `input_${p}.txt`), p);
    writeFileSync(
      join(dir, 'tool.cwl'),
      [
        'cwlVersion: v1.2',
        'class: CommandLineTool',
        'baseCommand: [wc, -l]',
        '$namespaces: {dirac: "https://diracgrid.org/cwl#"}',
        'hints: [{class: "dirac:Job", inputSandbox: [input_a.txt]}]',
        'inputs: {data: {type: File, inputBinding: {position: 1}}, label: {type: string, default: x}}',
        'outputs: {}',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'one.yaml'), 'data: {class: File, location: data/numbers.txt}\n');
    writeFileSync(join(dir, 'two.yaml'), 'data: {class: File, location: "LFN:/vo/data/x.txt"}\n');
    writeFileSync(join(dir, 'wrong.yaml'), 'data: 3\n');
    writeFileSync(join(dir, 'missing.yaml'), 'data: {class: File, location: nowhere.txt}\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sends CWL inputs with local files pointing into a sandbox per job, and remote ones untouched', async () => {
    const { plans, upload } = fakeUploader();
    const plan = planCwl({
      workflowFile: join(dir, 'tool.cwl'),
      inputFiles: ['one.yaml', 'two.yaml'].map((f) => join(dir, f)),
    });
    expect(plan).toMatchObject({ path: '/api/jobs', jobs: 2, uploads: true });
    const [chunk, ...more] = await plan.prepare(upload, noProgress);
    expect(more).toEqual([]);
    const body = chunk?.body as { workflow: { hints: { inputSandbox: string[] }[] }; inputs: unknown[] };
    expect(plans.map((p) => p.entries)).toEqual([['input_a.txt'], ['data/numbers.txt']]);
    expect(body.workflow.hints[0]?.inputSandbox).toEqual([`${sandbox(1)}#input_a.txt`]);
    expect(body.inputs).toEqual([
      { data: { class: 'File', location: `${sandbox(2)}#data/numbers.txt` } },
      { data: { class: 'File', location: 'LFN:/vo/data/x.txt' } },
    ]);
    expect(chunk?.sources).toEqual(['one.yaml', 'two.yaml'].map((f) => `the job of ${join(dir, f)}`));
  });

  it('sends one job without inputs when no input file is given', async () => {
    writeFileSync(
      join(dir, 'plain.cwl'),
      'cwlVersion: v1.2\nclass: CommandLineTool\nbaseCommand: date\ninputs: {}\noutputs: {}\n',
    );
    const chunks = await planCwl({ workflowFile: join(dir, 'plain.cwl'), inputFiles: [] }).prepare(
      fakeUploader().upload,
      noProgress,
    );
    expect(chunks).toEqual([
      { body: { workflow: expect.objectContaining({ baseCommand: 'date' }) }, jobs: 1 },
    ]);
  });

  it('refuses, before uploading anything, an input object that does not fit the task or names a missing file', () => {
    expect(() =>
      planCwl({ workflowFile: join(dir, 'tool.cwl'), inputFiles: [join(dir, 'wrong.yaml')] }),
    ).toThrow(/wrong\.yaml: The input object is invalid:\n {2}data: expected a File/);
    expect(() =>
      planCwl({ workflowFile: join(dir, 'tool.cwl'), inputFiles: [join(dir, 'missing.yaml')] }),
    ).toThrow(/missing\.yaml: data: .*nowhere\.txt does not exist/);
  });

  it('refuses a task that needs inputs when no input file is given, saying to give one', () => {
    const error = cliErrorOf(() => planCwl({ workflowFile: join(dir, 'tool.cwl'), inputFiles: [] }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `${join(dir, 'tool.cwl')} needs inputs: give them in an input object (--input-files inputs.yaml):\n` +
        '  data: required input is missing (type File)',
    );
  });

  it('makes a document that cannot be packed a usage error (2), as an unparsable one is, and content the API would refuse 1', () => {
    writeFileSync(
      join(dir, 'typo.cwl'),
      'cwlVersion: v1.2\nclass: CommandLineTool\ninputs: {x: Strin}\noutputs: {}\n',
    );
    writeFileSync(
      join(dir, 'lost-step.cwl'),
      'cwlVersion: v1.2\nclass: Workflow\ninputs: {}\noutputs: {}\nsteps: {s: {run: nope.cwl, in: {}, out: []}}\n',
    );
    const wrong = cliErrorOf(() =>
      planCwl({ workflowFile: join(dir, 'tool.cwl'), inputFiles: [join(dir, 'wrong.yaml')] }),
    );
    const typo = cliErrorOf(() => planCwl({ workflowFile: join(dir, 'typo.cwl'), inputFiles: [] }));
    const lost = cliErrorOf(() => planCwl({ workflowFile: join(dir, 'lost-step.cwl'), inputFiles: [] }));
    expect([wrong.exitCode, typo.exitCode, lost.exitCode]).toEqual([1, 1, 2]);
    expect(typo.message).toMatch(/unknown type "Strin" \(did you mean "string"\?\)/);
    expect(lost.message).toMatch(/step "s" runs "nope\.cwl", which does not exist/);
  });

  it("uploads the local files of DiracX's input_sandbox in a hints file and sends them as inputSandbox", async () => {
    const hintsFile = join(dir, 'snake-hints.yaml');
    writeFileSync(hintsFile, 'input_sandbox: [input_b.txt, "LFN:/vo/x.txt"]\n');
    const { plans, upload } = fakeUploader();
    const plan = planCwl({
      workflowFile: join(dir, 'tool.cwl'),
      inputFiles: [join(dir, 'two.yaml')],
      hintsFile,
    });
    const [chunk] = await plan.prepare(upload, noProgress);
    const body = chunk?.body as { hints: Record<string, unknown> };
    expect(plans.map((p) => p.entries)).toEqual([['input_a.txt'], ['input_b.txt']]);
    expect(body.hints).toEqual({ inputSandbox: [`${sandbox(2)}#input_b.txt`, 'LFN:/vo/x.txt'] });
  });

  it("uploads the local files of DiracX's input_sandbox inside the document and keeps the list where it is", async () => {
    const file = join(dir, 'snake.cwl');
    writeFileSync(
      file,
      [
        'cwlVersion: v1.2',
        'class: CommandLineTool',
        'baseCommand: cat',
        '$namespaces: {dirac: "https://diracgrid.org/cwl#"}',
        'hints: [{class: "dirac:Job", input_sandbox: [input_a.txt]}]',
        'inputs: {data: {type: File, default: {class: File, location: input_b.txt}}}',
        'outputs: {}',
      ].join('\n'),
    );
    const { plans, upload } = fakeUploader();
    const [chunk] = await planCwl({ workflowFile: file, inputFiles: [] }).prepare(upload, noProgress);
    const body = chunk?.body as { workflow: { hints: Record<string, unknown>[] }; hints?: unknown };
    expect(plans.map((p) => p.entries)).toEqual([['input_a.txt', 'input_b.txt']]);
    expect(body.workflow.hints[0]?.input_sandbox).toEqual([`${sandbox(1)}#input_a.txt`]);
    expect(body.workflow.hints[0]).not.toHaveProperty('inputSandbox');
    expect(body.hints).toBeUndefined();
  });

  it("refuses, before uploading anything, a document's dirac:ExecutionHooks hint that the server would refuse", () => {
    const file = join(dir, 'hooks.cwl');
    writeFileSync(
      file,
      [
        'cwlVersion: v1.2',
        'class: CommandLineTool',
        'baseCommand: cat',
        '$namespaces: {dirac: "https://diracgrid.org/cwl#"}',
        'hints: [{class: "dirac:ExecutionHooks", group_size: 5}]',
        'inputs: {data: {type: File, default: {class: File, location: input_a.txt}}}',
        'outputs: {}',
      ].join('\n'),
    );
    expect(() => planCwl({ workflowFile: file, inputFiles: [] })).toThrow(
      new RegExp(`^${file}: The dirac: hints .*\\n.*group_size: belongs to a transformation`, 's'),
    );
  });

  it('sends a parametric JDL as it is, with its local files in one sandbox', async () => {
    const file = join(dir, 'param.jdl');
    writeFileSync(
      file,
      'Executable = "wc"; Arguments = "%s"; Parameters = {"a", "b"}; InputSandbox = {"data/numbers.txt"};',
    );
    const { plans, upload } = fakeUploader();
    const plan = planJdl([file]);
    expect(plan).toMatchObject({ path: '/api/jobs/jdl', jobs: 2, uploads: true });
    const chunks = await plan.prepare(upload, noProgress);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.jobs).toBe(2);
    const [text] = (chunks[0] as Chunk).body as string[];
    const ad = parseJdl(text as string);
    expect(getStringList(ad, 'Parameters')).toEqual(['a', 'b']);
    expect(getStringList(ad, 'InputSandbox')).toEqual([sandbox(1)]);
    expect(plans).toHaveLength(1);
  });

  it('expands a parametric JDL here when its local files differ per job', async () => {
    const file = join(dir, 'per-job.jdl');
    writeFileSync(
      file,
      'Executable = "cat"; JobName = "p_%n"; Parameters = {"a", "b"}; InputSandbox = {"input_%s.txt"};',
    );
    const { plans, upload } = fakeUploader();
    const chunks = await planJdl([file]).prepare(upload, noProgress);
    const ads = ((chunks[0] as Chunk).body as string[]).map((text) => parseJdl(text));
    expect(ads.map((ad) => getString(ad, 'JobName'))).toEqual(['p_0', 'p_1']);
    expect(plans.map((p) => p.entries)).toEqual([['input_a.txt'], ['input_b.txt']]);
    expect(ads.map((ad) => getStringList(ad, 'InputSandbox'))).toEqual([[sandbox(1)], [sandbox(2)]]);
  });

  it('expands a parametric JDL of more jobs than a request carries and splits it', async () => {
    const file = join(dir, 'big.jdl');
    writeFileSync(
      file,
      'Executable = "echo"; Arguments = "%s"; Parameters = 2500; ParameterStart = 1; ParameterStep = 1;',
    );
    const plan = planJdl([file]);
    expect(plan).toMatchObject({ jobs: 2500, uploads: false });
    const chunks = await plan.prepare(fakeUploader().upload, noProgress);
    expect(chunks.map((c) => c.jobs)).toEqual([1000, 1000, 500]);
    expect(chunks[2]?.sources).toHaveLength(500);
    expect(new Set(chunks.flatMap((c) => c.sources ?? []))).toEqual(new Set([file]));
    const last = ((chunks[2] as Chunk).body as string[]).at(-1) as string;
    expect(getString(parseJdl(last), 'Arguments')).toBe('2500');
    expect(getString(parseJdl(last), 'ParameterNumber')).toBe('2499');
  });

  it('names the JDL file and line of a syntax error, as a usage error', () => {
    const file = join(dir, 'broken.jdl');
    writeFileSync(file, 'Executable = "echo";\nArguments = "x"\nJobName = "y";');
    let error: unknown;
    try {
      planJdl([file]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toMatch(new RegExp(`^${file}: line 3, column 1: `));
  });
});
