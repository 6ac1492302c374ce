import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startJobWrapper } from '#pilot/wrapper/index.ts';
import { resolveInside } from '#pilot/wrapper/safe-tar.ts';
import { FakePilot, matchedJob } from '#test/fixtures/pilot/fake-pilot.ts';
import { type RawEntry, tarGz } from '#test/fixtures/pilot/tarball.ts';

let pilot: FakePilot;
/** A directory beside the work root: `../../outside` from the job directory. */
let outside: string;
beforeEach(() => {
  pilot = new FakePilot();
  outside = join(pilot.root, 'outside');
  mkdirSync(outside);
});
afterEach(() => pilot.cleanup());

async function runWithSandbox(entries: readonly RawEntry[], script = 'true') {
  const sandbox = pilot.addSandbox(
    tarGz([{ path: 'run.sh', body: `#!/bin/sh\n${script}\n`, mode: 0o755 }, ...entries]),
  );
  const job = matchedJob({ Executable: 'run.sh', InputSandbox: [sandbox], OutputSandbox: ['out.txt'] });
  return startJobWrapper(job, pilot.context()).done;
}

describe('Input sandbox unpacking', () => {
  const unsafe: [string, () => RawEntry[]][] = [
    ['an absolute path', () => [{ path: join(outside, 'absolute.txt'), body: 'x' }]],
    ['a ".." path', () => [{ path: '../../outside/dotdot.txt', body: 'x' }]],
    ['a ".." inside a path', () => [{ path: 'a/../../../outside/dotdot.txt', body: 'x' }]],
    [
      'a symbolic link leading out, then a file through it',
      () => [
        { path: 'escape', type: 'SymbolicLink', linkpath: '../../outside' },
        { path: 'escape/through-link.txt', body: 'x' },
      ],
    ],
    ['a symbolic link to an absolute path', () => [{ path: 'etc', type: 'SymbolicLink', linkpath: '/etc' }]],
    [
      'a symbolic link whose ".." climbs out',
      () => [{ path: 'd/up', type: 'SymbolicLink', linkpath: '../../x' }],
    ],
    [
      'a chain of links that only leads out when followed',
      () => [
        { path: 'd/b', type: 'SymbolicLink', linkpath: '..' },
        { path: 'a', type: 'SymbolicLink', linkpath: 'd/b/..' },
      ],
    ],
    [
      'a link redefined after another link relied on it',
      () => [
        { path: 'sub/x/y', type: 'Directory' },
        { path: 'd', type: 'SymbolicLink', linkpath: 'sub/x' },
        { path: 'e', type: 'SymbolicLink', linkpath: 'd/../..' },
        { path: 'd', type: 'SymbolicLink', linkpath: 'sub' },
      ],
    ],
    ['a hard link to an absolute path', () => [{ path: 'passwd', type: 'Link', linkpath: '/etc/passwd' }]],
    ['a hard link climbing out', () => [{ path: 'hard', type: 'Link', linkpath: '../../outside/f' }]],
    [
      'a hard link to a symbolic link',
      () => [
        { path: 'deep/er/l', type: 'SymbolicLink', linkpath: '../../x' },
        { path: 'h', type: 'Link', linkpath: 'deep/er/l' },
      ],
    ],
    ['a character device', () => [{ path: 'null', type: 'CharacterDevice' }]],
    ['a FIFO', () => [{ path: 'pipe', type: 'FIFO' }]],
    ["a file in the wrapper's own directory", () => [{ path: '.muon/output-sandbox.tar.gz', body: 'x' }]],
  ];

  it.each(unsafe)(
    'fails "Unsafe input sandbox" for %s and writes nothing outside the job directory',
    async (_, entries) => {
      const outcome = await runWithSandbox(
        [{ path: 'harmless.txt', body: 'first entry' }, ...entries()],
        `echo ran > ${join(outside, 'payload-ran')}`,
      );
      expect(outcome).toEqual({ status: 'Failed', minorStatus: 'Unsafe input sandbox' });
      expect(readdirSync(outside)).toEqual([]);
      expect(readdirSync(pilot.workRoot)).toEqual([]);
      expect(pilot.minors()).not.toContain('Application');
      expect(pilot.last()).toMatchObject({ Status: 'Failed', MinorStatus: 'Unsafe input sandbox' });
      expect(pilot.last()?.ApplicationStatus).toBeTruthy();
    },
  );

  it('unpacks directories and links that stay inside the job directory', async () => {
    const outcome = await runWithSandbox(
      [
        { path: 'data/v1/', type: 'Directory' },
        { path: 'data/v1/x.txt', body: 'version one' },
        { path: 'latest', type: 'SymbolicLink', linkpath: 'data/v1' },
        { path: 'data/v1/sibling', type: 'SymbolicLink', linkpath: '../v1/x.txt' },
        { path: 'copy.txt', type: 'Link', linkpath: 'data/v1/x.txt' },
        { path: './dotted.txt', body: 'dot' },
      ],
      'cat latest/x.txt data/v1/sibling copy.txt dotted.txt > out.txt',
    );
    expect(outcome).toEqual({ status: 'Done' });
    expect((await pilot.outputSandbox(1234))['out.txt']).toBe('version oneversion oneversion onedot');
    expect(existsSync(join(outside, 'x.txt'))).toBe(false);
  });
});

describe('resolveInside', () => {
  const links = new Map([
    ['a', 'b/c'],
    ['b/c', '..'],
    ['loop', 'loop'],
  ]);
  it('follows links as the kernel would and stops at the job directory', () => {
    expect(resolveInside(['x', '..', 'y'], links)).toEqual(['y']);
    expect(resolveInside(['a', 'z'], links)).toEqual(['z']);
    expect(resolveInside(['a', '..'], links)).toBeUndefined();
    expect(resolveInside(['..'], links)).toBeUndefined();
    expect(resolveInside(['loop'], links)).toBeUndefined();
  });
});
