import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '#cli/client.ts';
import { CliError } from '#cli/errors.ts';
import { downloadJobOutputs, insideDir, localizeOutputObject } from '#cli/outputs.ts';

const dir = '/home/alice/job-17';
const url = (path: string) => pathToFileURL(path).href;
const lfn = '/vo.example.org/user/a/alice/17/result.root';

describe('localizeOutputObject (the CWL output object on the user machine)', () => {
  it('points sandbox: locations at the unpacked files, listings and secondary files included', () => {
    const { output, downloads } = localizeOutputObject(
      {
        log: { class: 'File', location: 'sandbox:outputs/run.log', basename: 'run.log', size: 3 },
        table: {
          class: 'File',
          location: 'sandbox:outputs/t.csv',
          secondaryFiles: [{ class: 'File', location: 'sandbox:outputs/t.csv.idx' }],
        },
        plots: {
          class: 'Directory',
          location: 'sandbox:outputs/plots',
          listing: [{ class: 'File', location: 'sandbox:outputs/plots/a.png' }],
        },
        count: 3,
        nothing: null,
      },
      { dir, data: false },
    );
    expect(output).toEqual({
      log: {
        class: 'File',
        location: url(join(dir, 'outputs/run.log')),
        path: join(dir, 'outputs/run.log'),
        basename: 'run.log',
        size: 3,
      },
      table: {
        class: 'File',
        location: url(join(dir, 'outputs/t.csv')),
        path: join(dir, 'outputs/t.csv'),
        secondaryFiles: [
          {
            class: 'File',
            location: url(join(dir, 'outputs/t.csv.idx')),
            path: join(dir, 'outputs/t.csv.idx'),
          },
        ],
      },
      plots: {
        class: 'Directory',
        location: url(join(dir, 'outputs/plots')),
        path: join(dir, 'outputs/plots'),
        listing: [
          {
            class: 'File',
            location: url(join(dir, 'outputs/plots/a.png')),
            path: join(dir, 'outputs/plots/a.png'),
          },
        ],
      },
      count: 3,
      nothing: null,
    });
    expect(downloads).toEqual([]);
  });

  it('keeps lfn: locations without --data', () => {
    const output = { root: { class: 'File', location: `lfn:${lfn}`, basename: 'result.root' } };
    expect(localizeOutputObject(output, { dir, data: false })).toEqual({ output, downloads: [] });
  });

  it('with --data, puts lfn: files in outputs/ and says what to download', () => {
    const { output, downloads } = localizeOutputObject(
      {
        root: { class: 'File', location: `lfn:${lfn}`, basename: 'result.root' },
        again: [{ class: 'File', location: `lfn:${lfn}` }],
      },
      { dir, data: true },
    );
    const path = join(dir, 'outputs/result.root');
    expect(output).toEqual({
      root: { class: 'File', location: url(path), path, basename: 'result.root' },
      again: [{ class: 'File', location: url(path), path }],
    });
    expect(downloads).toEqual([{ lfn, path }]);
  });

  it('places an lfn: file whose name is taken under outputs/lfn/<LFN>', () => {
    const { downloads } = localizeOutputObject(
      { root: { class: 'File', location: `lfn:${lfn}` } },
      { dir, data: true, taken: ['outputs/result.root'] },
    );
    expect(downloads).toEqual([{ lfn, path: join(dir, 'outputs/lfn', lfn) }]);
  });

  it('downloads the listing of an lfn: directory into a directory of its name', () => {
    const { output, downloads } = localizeOutputObject(
      {
        data: {
          class: 'Directory',
          location: 'lfn:/vo.example.org/user/a/alice/17/data',
          basename: 'data',
          listing: [{ class: 'File', location: 'lfn:/vo.example.org/user/a/alice/17/data/x.txt' }],
        },
      },
      { dir, data: true },
    );
    expect(downloads).toEqual([
      { lfn: '/vo.example.org/user/a/alice/17/data/x.txt', path: join(dir, 'outputs/data/x.txt') },
    ]);
    expect((output as { data: { path: string } }).data.path).toBe(join(dir, 'outputs/data'));
  });

  it('does not trust a basename that is a path', () => {
    const { downloads } = localizeOutputObject(
      { root: { class: 'File', location: `lfn:${lfn}`, basename: '../../.bashrc' } },
      { dir, data: true },
    );
    expect(downloads).toEqual([{ lfn, path: join(dir, 'outputs/result.root') }]);
  });

  it('refuses locations that leave the directory', () => {
    const leaving = { x: { class: 'File', location: 'sandbox:outputs/../../../etc/passwd' } };
    expect(() => localizeOutputObject(leaving, { dir, data: false })).toThrow(/outside its directory/);
    const absolute = { x: { class: 'File', location: 'sandbox:/etc/passwd' } };
    expect(() => localizeOutputObject(absolute, { dir, data: false })).toThrow(/outside its directory/);
    const badLfn = { x: { class: 'File', location: 'lfn:/vo/../../x' } };
    expect(() => localizeOutputObject(badLfn, { dir, data: true })).toThrow(/not an LFN/);
  });

  it('insideDir keeps a relative path inside the directory', () => {
    expect(insideDir(dir, 'outputs/a/b.txt')).toBe(join(dir, 'outputs/a/b.txt'));
    expect(() => insideDir(dir, '..')).toThrow();
    expect(() => insideDir(dir, '')).toThrow();
  });
});

describe('downloadJobOutputs into a path that cannot be a directory', () => {
  it('refuses a file given as the directory before asking the API anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muon-out-'));
    const file = join(dir, 'afile');
    writeFileSync(file, 'x');
    const asked: string[] = [];
    const client = {
      request: async (_method: string, path: string) => {
        asked.push(path);
        throw new Error('not asked');
      },
    } as unknown as ApiClient;
    const error = await downloadJobOutputs(client, 1, { dir: file, data: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toBe(`${file} is a file, not a directory: give another directory.`);
    expect(asked).toEqual([]);
  });

  it('says which directory cannot be made when a part of its path is a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muon-out-'));
    writeFileSync(join(dir, 'afile'), 'x');
    const client = {
      request: async (_method: string, path: string) => ({
        body: path.endsWith('/sandbox') ? { Input: [], Output: ['SB:x'] } : {},
      }),
    } as unknown as ApiClient;
    const target = join(dir, 'afile', 'sub');
    await expect(downloadJobOutputs(client, 1, { dir: target, data: false })).rejects.toThrow(
      new CliError(`Cannot make the directory ${target}: a part of it is a file; give another directory.`),
    );
  });
});
