import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { type ArchiveEntry, unpackSafely, unsafeEntry } from '#cli/unpack.ts';
import { uploadOutputSandbox } from '#pilot/wrapper/output-sandbox.ts';
import type { JobPaths } from '#pilot/wrapper/workdir.ts';

interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice';
  linkpath?: string;
  text?: string;
}

/** A tar.gz written header by header, so it can hold what a careful packer never would. */
function archive(entries: readonly RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const { path, type = 'File', linkpath, text = '' } of entries) {
    const data = Buffer.from(text);
    const header = new Header({
      path,
      type,
      mode: type === 'Directory' ? 0o755 : 0o644,
      size: type === 'File' ? data.length : 0,
      mtime: new Date(0),
      ...(linkpath ? { linkpath } : {}),
    });
    header.encode();
    blocks.push(header.block as Buffer);
    if (type === 'File' && data.length > 0) {
      blocks.push(Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

const file = (path: string): ArchiveEntry => ({ path, type: 'File' });
const link = (path: string, linkpath: string): ArchiveEntry => ({ path, type: 'SymbolicLink', linkpath });

describe('unsafeEntry (what an output sandbox may not contain)', () => {
  it('accepts plain files, directories and links that stay inside', () => {
    expect(
      unsafeEntry([
        { path: 'outputs/', type: 'Directory' },
        file('outputs/a.txt'),
        file('./outputs/b.txt'),
        link('outputs/latest', 'a.txt'),
        link('outputs/sub/up', '../a.txt'),
        { path: 'outputs/hard', type: 'Link', linkpath: 'outputs/a.txt' },
      ]),
    ).toBeUndefined();
  });

  it('refuses absolute paths and ".." segments', () => {
    expect(unsafeEntry([file('/etc/passwd')])).toMatch(/absolute path/);
    expect(unsafeEntry([file('C:/Windows/x')])).toMatch(/absolute path/);
    expect(unsafeEntry([file('outputs/../../x')])).toMatch(/"\.\." segment/);
  });

  it('refuses links whose target leaves the directory', () => {
    expect(unsafeEntry([link('outputs/x', '../../etc')])).toMatch(/outside the directory/);
    expect(unsafeEntry([link('x', '/etc/passwd')])).toMatch(/outside the directory/);
    expect(unsafeEntry([{ path: 'h', type: 'Link', linkpath: '../secret' }])).toMatch(/hard link/);
  });

  it('refuses paths and link targets that go through a link of the archive', () => {
    // "here" is the directory itself, so "here/.." would be its parent.
    expect(unsafeEntry([link('here', '.'), link('escape', 'here/..')])).toMatch(/escape links to here\/\.\./);
    expect(unsafeEntry([link('outputs', 'sub'), file('outputs/a.txt')])).toMatch(
      /goes through a symbolic link/,
    );
    // Order does not matter: a link declared later still counts.
    expect(unsafeEntry([file('d/a.txt'), link('d', 'elsewhere')])).toMatch(/goes through a symbolic link/);
  });

  it('refuses special files', () => {
    expect(unsafeEntry([{ path: 'dev', type: 'CharacterDevice' }])).toMatch(/CharacterDevice/);
  });
});

describe('unpackSafely', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'muon-unpack-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('unpacks files, directories and inside links', async () => {
    const dest = scratch();
    const paths = await unpackSafely(
      archive([
        { path: 'outputs/', type: 'Directory' },
        { path: 'outputs/a.txt', text: 'hello' },
        { path: 'outputs/latest', type: 'SymbolicLink', linkpath: 'a.txt' },
      ]),
      dest,
    );
    expect(paths).toEqual(['outputs/', 'outputs/a.txt', 'outputs/latest']);
    expect(readFileSync(join(dest, 'outputs', 'a.txt'), 'utf8')).toBe('hello');
    expect(lstatSync(join(dest, 'outputs', 'latest')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dest, 'outputs', 'latest'))).toBe('a.txt');
  });

  it('writes nothing at all from an archive with one unsafe entry', async () => {
    const parent = scratch();
    const dest = join(parent, 'dest');
    mkdirSync(dest);
    const bytes = archive([
      { path: 'fine.txt', text: 'ok' },
      { path: '../escaped.txt', text: 'gotcha' },
    ]);
    await expect(unpackSafely(bytes, dest)).rejects.toThrow(
      /Refusing to unpack the sandbox: \.\.\/escaped\.txt/,
    );
    expect(existsSync(join(parent, 'escaped.txt'))).toBe(false);
    expect(existsSync(join(dest, 'fine.txt'))).toBe(false);
  });

  it('refuses a link out of the directory followed by a file written through it', async () => {
    const dest = scratch();
    const bytes = archive([
      { path: 'out', type: 'SymbolicLink', linkpath: '/tmp' },
      { path: 'out/planted.txt', text: 'x' },
    ]);
    await expect(unpackSafely(bytes, dest)).rejects.toThrow(/out links to \/tmp/);
    expect(existsSync(join(dest, 'out'))).toBe(false);
  });

  it("unpacks a job's output named like a drive (A:Gln2Cys) under its own name, as the pilot packs it", async () => {
    const root = scratch();
    mkdirSync(join(root, 'private'));
    writeFileSync(join(root, 'A:Gln2Cys'), 'data');
    const stored: Buffer[] = [];
    const api = {
      uploadOutputSandbox: async (archive: string) => {
        stored.push(readFileSync(archive));
        return 'SB:SandboxSE|/S3/x.tar.gz';
      },
    };
    const paths = { root, private: join(root, 'private') } as JobPaths;
    const limits = { outputSandboxLimitBytes: 1_000_000, peekLines: 10 };
    await uploadOutputSandbox(api, paths, ['A:Gln2Cys'], limits);
    const dest = scratch();
    expect(await unpackSafely(stored[0] as Buffer, dest)).toEqual(['./A:Gln2Cys']);
    expect(readFileSync(join(dest, 'A:Gln2Cys'), 'utf8')).toBe('data');
  });

  it('refuses what is not a tar.gz', async () => {
    await expect(unpackSafely(Buffer.from('not an archive'), scratch())).rejects.toThrow(
      /Cannot read the sandbox/,
    );
  });
});
