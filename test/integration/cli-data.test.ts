/**
 * `muon data ...` against a running WMS, as a user types it: add files with metadata, list,
 * set and show metadata, find, replicas and remove, and the usage errors of bad input.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLocalFile } from '#local/home.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const { MUON_API_URL: _url, MUON_TOKEN: _token, ...cliEnv } = process.env;
const home = '/vo.example.org/user/a/alice/cli-data';

describe('muon data (the file catalog from the CLI)', () => {
  let runtime: TestRuntime;
  let muonHome: string;
  let scratch: string;
  let fileSe: string;
  const muon = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['bin/muon.mjs', ...args],
        { env: { ...cliEnv, MUON_HOME: muonHome, NO_COLOR: '1' } },
        (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
        },
      );
    });

  beforeAll(async () => {
    fileSe = mkdtempSync(join(tmpdir(), 'muon-cli-file-se-'));
    const config = testConfig();
    config.storageElements['LOCAL-FILE'] = { kind: 'disk', backend: 'file', path: fileSe };
    runtime = await startTestRuntime({ config });
    muonHome = mkdtempSync(join(tmpdir(), 'muon-cli-home-'));
    scratch = mkdtempSync(join(tmpdir(), 'muon-cli-files-'));
    writeLocalFile(muonHome, { apiUrl: runtime.apiUrl, tokens: runtime.tokens });
    for (const name of ['a', 'b', 'c']) writeFileSync(join(scratch, name), `file ${name}\n`);
  });
  afterAll(async () => {
    await runtime?.stop();
    for (const dir of [muonHome, scratch, fileSe]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds files with metadata, lists them and finds them by it', async () => {
    const added = await Promise.all([
      muon(
        'data',
        'add',
        `${home}/run1/a.root`,
        '--se',
        'LOCAL-DISK',
        '--file',
        join(scratch, 'a'),
        '--meta',
        'run=1',
        '--meta',
        'type=RAW',
      ),
      muon(
        'data',
        'add',
        `${home}/run2/b.root`,
        '--se',
        'LOCAL-DISK',
        '--file',
        join(scratch, 'b'),
        '--meta',
        'run=2',
        '--meta',
        'type=DST',
      ),
      muon(
        'data',
        'add',
        `${home}/run2/c.root`,
        '--se',
        'LOCAL-FILE',
        '--file',
        join(scratch, 'c'),
        '--meta',
        'run=3',
        '--meta',
        'type=RAW',
      ),
    ]);
    for (const run of added) expect(run.code, run.stderr).toBe(0);

    const ls = await muon('data', 'ls', home);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toContain(`${home}/run1/`);
    expect(ls.stdout).toContain(`${home}/run2/`);
    const inRun2 = await muon('data', 'ls', `${home}/run2`, '--json');
    expect(JSON.parse(inRun2.stdout)).toEqual({
      directories: [],
      files: [
        { LFN: `${home}/run2/b.root`, SE: 'LOCAL-DISK', Size: 7 },
        { LFN: `${home}/run2/c.root`, SE: 'LOCAL-FILE', Size: 7 },
      ],
    });

    const found = await muon('data', 'find', 'run>=1 type=RAW', '--path', home);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout.trim().split('\n').sort()).toEqual([`${home}/run1/a.root`, `${home}/run2/c.root`]);
  });

  it('sets directory metadata that the files under it inherit, and shows where it comes from', async () => {
    const set = await muon('data', 'meta', 'set', `${home}/run2`, 'campaign=Y2024', 'started=2024-05-01');
    expect(set.code, set.stderr).toBe(0);
    const found = await muon('data', 'find', 'campaign=Y2024 run in 2,3', '--json');
    expect(JSON.parse(found.stdout)).toEqual([`${home}/run2/b.root`, `${home}/run2/c.root`]);
    const shown = await muon('data', 'meta', 'show', `${home}/run2/b.root`);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/campaign\s+Y2024\s+string\s+.*\/run2/);
    expect(shown.stdout).toMatch(/run\s+2\s+integer/);
    const json = JSON.parse((await muon('data', 'meta', 'show', `${home}/run2/b.root`, '--json')).stdout);
    expect(json.Inherited.started).toEqual({ value: '2024-05-01T00:00:00.000Z', from: `${home}/run2` });
    expect(json.Types.started).toBe('date');
  });

  it('shows replicas and removes a file with its last replica, and its copy on a file SE', async () => {
    const replicas = await muon('data', 'replicas', `${home}/run2/c.root`, '--json');
    const pfn = JSON.parse(replicas.stdout).Replicas[0].PFN as string;
    expect(existsSync(pfn)).toBe(true);
    const removed = await muon('data', 'remove', `${home}/run2/c.root`);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('is no longer in the catalog');
    expect(existsSync(pfn)).toBe(false);
    const found = await muon('data', 'find', 'run=3');
    expect(found.stdout.trim()).toBe('');
    const again = await muon('data', 'replicas', `${home}/run2/c.root`);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('No replica');
  });

  it.each([
    [['data', 'find', 'run >'], 2, 'has no value'],
    [['data', 'find', 'run>abc'], 1, '"run" is an integer'],
    [['data', 'meta', 'set', `${home}/run1/a.root`, 'run'], 2, 'is not key=value'],
    [['data', 'meta', 'set', `${home}/run1/a.root`, 'run=x'], 1, '"run" is an integer; "x" is not'],
    [['data', 'meta', 'set', `${home}/run1`, 'note=x', '--type', 'note=text'], 2, 'is not key=type'],
    [['data', 'add', `${home}/x.root`, '--se', 'LOCAL-DISK', '--file', '/nonexistent'], 2, 'is not a file'],
    [['data', 'add', 'relative/x', '--se', 'LOCAL-DISK', '--file', '/etc/hostname'], 2, 'is not an LFN'],
    [['data', 'remove', `${home}/nothing.root`], 1, 'No replica'],
  ])('refuses %j with exit code %i', async (args, code, words) => {
    const run = await muon(...args);
    expect(run.code, run.stderr).toBe(code);
    expect(run.stderr).toContain(words);
  });

  it('refuses a key already set on a directory above', async () => {
    const set = await muon('data', 'meta', 'set', `${home}/run1`, 'campaign=Y2023');
    expect(set.code, set.stderr).toBe(0);
    const run = await muon('data', 'meta', 'set', `${home}/run1/a.root`, 'campaign=Z');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`campaign is set on ${home}/run1`);
  });
});
