/**
 * `muon transformation ...` against a running WMS: submit with a metadata file, status, files and
 * tasks; bad input (an invalid query, a metadata value of the wrong type, a group size of 0, an
 * unknown plugin) is refused with a message and exit 1, and nothing is created.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLocalFile } from '#local/home.ts';
import { counterKey } from '#shared/transformations/keys.ts';
import { bodyOf, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';
import {
  aliceHome,
  catalogFiles,
  concatTool,
  waitForState,
} from '#test/integration/support/transformations.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
const { MUON_API_URL: _url, MUON_TOKEN: _token, ...cliEnv } = process.env;

describe('muon transformation', () => {
  let runtime: TestRuntime;
  let home: string;
  let scratch: string;
  const run = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['bin/muon.mjs', ...args],
        { env: { ...cliEnv, MUON_HOME: home, NO_COLOR: '1' } },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
  /** The transformation-id counter: a transformation written takes an id first. */
  const lastTransformationId = async () => {
    const { Item } = await runtime.aws.dynamo.send(
      new GetCommand({ TableName: runtime.resources.tables.transformations as string, Key: counterKey }),
    );
    return Number(Item?.next ?? 0);
  };
  const file = (name: string, text: string) => {
    const path = join(scratch, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    runtime = await startTestRuntime({ scheduleEveryMs: 1000 });
    home = mkdtempSync(join(tmpdir(), 'muon-cli-home-'));
    scratch = mkdtempSync(join(tmpdir(), 'muon-cli-files-'));
    writeLocalFile(home, { apiUrl: runtime.apiUrl, tokens: runtime.tokens });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    for (const dir of [home, scratch]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('submits a tool with its metadata file and shows status, files and tasks', async () => {
    await catalogFiles(runtime, [
      { lfn: `${aliceHome}/cli/a.txt`, text: 'a', meta: { dataset: 'cliA', run: 1 } },
      { lfn: `${aliceHome}/cli/b.txt`, text: 'b', meta: { dataset: 'cliA', run: 2 } },
      { lfn: `${aliceHome}/cli/c.txt`, text: 'c', meta: { dataset: 'cliA', run: 3 } },
    ]);
    const tool = file('concat.cwl', JSON.stringify(concatTool));
    const metadata = file(
      't.yaml',
      'input_query: "dataset=cliA run>=2"\ngroup_size: 2\nplugin: Standard\noutput_metadata: {dataset: cliA-out}\nhints: {outputSE: [LOCAL-DISK]}\n',
    );
    const submitted = await run('transformation', 'submit', tool, '--metadata', metadata, '--json');
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = (JSON.parse(submitted.stdout) as { transformationId: number }).transformationId;
    // No pilots here: the one task's job waits, its two files Assigned.
    await waitForState(runtime, id, 'Active');
    const status = await run('transformation', 'status', String(id));
    expect(status.stdout).toMatch(new RegExp(`Transformation ${id} concat.cwl \\(DataProcessing\\): Active`));
    await expect
      .poll(
        async () => JSON.parse((await run('transformation', 'status', String(id), '--json')).stdout).files,
        {
          timeout: 20_000,
        },
      )
      .toEqual({ Unused: 0, Assigned: 2, Processed: 0, Problematic: 0 });
    const files = JSON.parse((await run('transformation', 'files', String(id), '--json')).stdout) as {
      lfn: string;
    }[];
    expect(files.map((f) => f.lfn).sort()).toEqual([`${aliceHome}/cli/b.txt`, `${aliceHome}/cli/c.txt`]);
    const tasks = JSON.parse((await run('transformation', 'tasks', String(id), '--json')).stdout) as {
      status: string;
      jobId: number;
    }[];
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ status: 'Submitted' });
    const stopped = await run('transformation', 'stop', String(id));
    expect(stopped.stdout).toBe(`Transformation ${id} is Stopped.\n`);
    const extend = await run('transformation', 'extend', String(id), '3');
    expect(extend.code).toBe(1);
    expect(extend.stderr).toMatch(/only a generation is extended/);
  }, 90_000);

  it.each([
    ['an invalid query', 'input_query: "n>"\ngroup_size: 1\n', /input_query: .*has no value/],
    [
      'a metadata value of the wrong type',
      'input_query: "a=1"\ngroup_size: 1\noutput_metadata: {x: [1]}\n',
      /outputMetadata\.x/,
    ],
    ['a group size of 0', 'input_query: "a=1"\ngroup_size: 0\n', /groupSize: the group size is at least 1/],
    ['an unknown plugin', 'input_query: "a=1"\ngroup_size: 2\nplugin: ByMagic\n', /plugin: /],
  ])('refuses %s with exit 1, creating nothing', async (_, yaml, message) => {
    const before = await lastTransformationId();
    const tool = file('concat.cwl', JSON.stringify(concatTool));
    const refused = await run('transformation', 'submit', tool, '--metadata', file('bad.yaml', yaml));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(message);
    // The API refuses the same with a 400 before anything is stored.
    const api = await runtime.api('/api/transformations', {
      method: 'POST',
      json: { name: 'bad', cwl: concatTool, inputQuery: [{ key: 'a', op: '=', values: [1] }], groupSize: 0 },
    });
    expect(api.status).toBe(400);
    expect((await bodyOf(api)).detail).toMatch(/groupSize: the group size is at least 1/);
    expect(await lastTransformationId()).toBe(before);
  });
});
