import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tailLines } from '#pilot/watchdog/peek.ts';
import { adler32File } from '#pilot/wrapper/checksum.ts';
import { parseExecutionEnvironment, payloadEnvironment, splitArguments } from '#pilot/wrapper/command.ts';
import { cwltoolEntry, localInputs } from '#pilot/wrapper/cwl.ts';
import { matchGlob, type TreeEntry } from '#pilot/wrapper/glob.ts';
import { outputLfn } from '#pilot/wrapper/outputs.ts';
import { jobPaths } from '#pilot/wrapper/workdir.ts';
import { matchedJob } from '#test/fixtures/pilot/fake-pilot.ts';

const dir = mkdtempSync(join(tmpdir(), 'muon-wrapper-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('splitArguments', () => {
  it('splits words as a shell would, without expanding anything', () => {
    expect(splitArguments(`a  'b c' "d \\"e\\" $HOME" f\\ g 'h'"i"`)).toEqual([
      'a',
      'b c',
      'd "e" $HOME',
      'f g',
      'hi',
    ]);
    expect(splitArguments('')).toEqual([]);
    expect(splitArguments(`'' x`)).toEqual(['', 'x']);
    expect(splitArguments(`'unterminated quote`)).toEqual(['unterminated quote']);
  });
});

describe('payload environment', () => {
  it("drops the pilot's credentials and adds the job's variables", () => {
    const env = payloadEnvironment(
      { PATH: '/bin', MUON_TOKEN: 't', AWS_SECRET_ACCESS_KEY: 's', GITHUB_TOKEN: 'g', HOME: '/h' },
      { DIRACJOBID: '7' },
    );
    expect(env).toEqual({ PATH: '/bin', HOME: '/h', DIRACJOBID: '7' });
    expect(parseExecutionEnvironment(['A=1', 'B=x=y', 'EMPTY', 'bad name=1'])).toEqual({
      A: '1',
      B: 'x=y',
      EMPTY: '',
    });
  });
});

describe('output globs', () => {
  const tree: TreeEntry[] = [
    { path: 'a.log', kind: 'file' },
    { path: 'sub', kind: 'directory' },
    { path: 'sub/b.log', kind: 'file' },
    { path: 'outputs', kind: 'directory' },
    { path: 'outputs/histo1.root', kind: 'file' },
    { path: 'outputs/histo[2].root', kind: 'file' },
  ];
  const paths = (pattern: string, bases?: string[]) =>
    matchGlob(tree, pattern, bases).map((entry) => entry.path);

  it('matches within a segment with *, ?, [..] and across segments with **', () => {
    expect(paths('*.log')).toEqual(['a.log']);
    expect(paths('**/*.log')).toEqual(['a.log', 'sub/b.log']);
    expect(paths('sub/?.log')).toEqual(['sub/b.log']);
    expect(paths('histo[0-9].root', ['outputs/', ''])).toEqual(['outputs/histo1.root']);
    expect(paths('histo*.root', ['outputs/', ''])).toEqual(['outputs/histo1.root', 'outputs/histo[2].root']);
  });
});

describe('output LFNs', () => {
  it("follow DIRAC: the owner's directory and the job id, or the OutputPath", () => {
    expect(outputLfn(matchedJob({ JobID: 12345 }), 'f.root')).toBe(
      '/vo.example.org/user/a/alice/12/12345/f.root',
    );
    expect(outputLfn(matchedJob({ OutputPath: '/run/7' }), 'f')).toBe('/vo.example.org/user/a/alice/run/7/f');
    expect(outputLfn(matchedJob({ OutputPath: 'LFN:/vo.example.org/prod/x' }), 'f')).toBe(
      '/vo.example.org/prod/x/f',
    );
  });
});

describe('Adler-32', () => {
  it('matches zlib', async () => {
    const file = join(dir, 'adler');
    writeFileSync(file, 'Wikipedia');
    expect(await adler32File(file)).toBe('adler32:11e60398');
    writeFileSync(
      file,
      Buffer.concat(
        Array.from({ length: 1000 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))),
      ),
    );
    expect(await adler32File(file)).toBe('adler32:a73b292f');
  });
});

describe('CWL inputs', () => {
  const paths = jobPaths(dir, 9);
  it('point sandbox files and LFNs at their local copies, and leave URLs alone', () => {
    const inputs = {
      a: { class: 'File', location: 'SB:SandboxSE|/S3/b/key.tar.gz#data/a.txt' },
      b: [
        { class: 'File', path: 'rel/b.txt', secondaryFiles: [{ class: 'File', location: 'LFN:/vo/c.idx' }] },
      ],
      c: { class: 'File', location: 'https://example.org/c.txt' },
      n: 3,
    };
    expect(localInputs(inputs, paths, new Map([['/vo/c.idx', '/local/c.idx']]))).toEqual({
      a: { class: 'File', location: `file://${paths.root}/data/a.txt` },
      b: [
        {
          class: 'File',
          location: `file://${paths.root}/rel/b.txt`,
          secondaryFiles: [{ class: 'File', location: 'file:///local/c.idx' }],
        },
      ],
      c: { class: 'File', location: 'https://example.org/c.txt' },
      n: 3,
    });
  });

  it('refuse locations outside the job directory', () => {
    expect(() => localInputs({ a: { class: 'File', location: '../x' } }, paths, new Map())).toThrow(
      /outside/,
    );
    expect(() =>
      localInputs({ a: { class: 'File', location: 'SB:SandboxSE|/S3/b/k#../../x' } }, paths, new Map()),
    ).toThrow(/outside/);
  });

  it("run Debian's `python3 -m cwltool` so that its exit status is kept", () => {
    expect(cwltoolEntry(['/usr/bin/python3', '-m', 'cwltool'])[1]).toBe('-c');
    expect(cwltoolEntry(['/usr/bin/cwltool'])).toEqual(['/usr/bin/cwltool']);
  });
});

describe('tailLines', () => {
  it('reads the last lines from the end of a large file', () => {
    const file = join(dir, 'big.out');
    writeFileSync(file, Array.from({ length: 100_000 }, (_, i) => `line ${i}`).join('\n'));
    expect(tailLines(file, 3)).toBe('line 99997\nline 99998\nline 99999');
    expect(tailLines(join(dir, 'missing'), 3)).toBe('');
  });
});
