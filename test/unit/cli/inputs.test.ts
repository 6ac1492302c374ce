import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  documentJobHints,
  findLocalFiles,
  isLocalLocation,
  jdlSandboxEntries,
  planSandbox,
  pointToSandbox,
  readDocument,
  readMapping,
  setJdlSandbox,
} from '#cli/inputs.ts';
import { parseJdl, toJdl } from '#shared/jdl/index.ts';
import { cliErrorOf } from './cli-error.ts';

const reference = `SB:SandboxSE|/S3/muon/sandboxes/vo/user/alice/sha256:${'a'.repeat(64)}.tar.gz`;

describe('Local locations', () => {
  it('are paths and file: URIs; SB:, LFN:, URLs and s3: are not', () => {
    for (const local of ['data.txt', './data/x.txt', '../x', '/abs/x', 'file:///abs/x', 'C:\\x']) {
      expect(isLocalLocation(local), local).toBe(true);
    }
    for (const remote of [reference, 'LFN:/vo/x', 'lfn:/vo/x', 'https://x/y', 'http://x', 's3://b/k']) {
      expect(isLocalLocation(remote), remote).toBe(false);
    }
  });
});

describe('Input objects', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'muon-inputs-'));
    mkdirSync(join(dir, 'job', 'data'), { recursive: true });
    mkdirSync(join(dir, 'shared'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('find every local File and Directory, nested ones and secondary files too', () => {
    const order = {
      message: 'hi',
      data: { class: 'File', location: 'data/numbers.txt' },
      more: [
        { class: 'File', path: '/elsewhere/x.txt', secondaryFiles: [{ class: 'File', location: 'x.idx' }] },
        { class: 'File', location: 'LFN:/vo/data/y.root' },
        { class: 'File', contents: 'literal' },
      ],
      record: { dir: { class: 'Directory', location: `file://${join(dir, 'shared')}` } },
      remote: { class: 'File', location: reference },
    };
    const found = findLocalFiles(order, join(dir, 'job'));
    expect(found.map(({ at, path }) => ({ at, path }))).toEqual([
      { at: 'data', path: join(dir, 'job', 'data', 'numbers.txt') },
      { at: 'more[0]', path: '/elsewhere/x.txt' },
      { at: 'more[0].secondaryFiles[0]', path: join(dir, 'job', 'x.idx') },
      { at: 'record.dir', path: join(dir, 'shared') },
    ]);
  });

  it('keep the paths as written when they lie under the document, and point Files into the sandbox', () => {
    const order = {
      a: { class: 'File', location: 'data/numbers.txt' },
      b: { class: 'File', path: './data/../data/other.txt' },
      c: { class: 'Directory', location: 'data' },
    };
    const found = findLocalFiles(order, join(dir, 'job'));
    const plan = planSandbox(
      found.map((f) => f.path),
      join(dir, 'job'),
    );
    expect(plan.baseDir).toBe(join(dir, 'job'));
    // The files inside the packed directory are not packed twice.
    expect(plan.entries).toEqual(['data']);
    pointToSandbox(found, reference, plan);
    expect(order).toEqual({
      a: { class: 'File', location: `${reference}#data/numbers.txt` },
      b: { class: 'File', location: `${reference}#data/other.txt` },
      c: { class: 'Directory', location: `${reference}#data` },
    });
  });

  it('move the base up to the nearest directory holding files outside the document', () => {
    const plan = planSandbox([join(dir, 'job', 'a.txt'), join(dir, 'shared', 'b.txt')], join(dir, 'job'));
    expect(plan.baseDir).toBe(dir);
    expect(plan.entries).toEqual(['job/a.txt', 'shared/b.txt']);
    expect(plan.archivePath(join(dir, 'shared', 'b.txt'))).toBe('shared/b.txt');
  });

  it('find the dirac:Job hints of a document, as a list or a map, with a declared prefix or not', () => {
    const listed = { hints: [{ class: 'dirac:Job', inputSandbox: ['x'] }, { class: 'ResourceRequirement' }] };
    const mapped = {
      $namespaces: { d: 'https://diracgrid.org/cwl#' },
      hints: { 'd:Job': { priority: 3 }, DockerRequirement: {} },
    };
    expect(documentJobHints(listed)).toEqual([{ class: 'dirac:Job', inputSandbox: ['x'] }]);
    expect(documentJobHints(mapped)).toEqual([{ priority: 3 }]);
    expect(documentJobHints({ $graph: [listed, { id: 'main' }] })).toHaveLength(1);
  });
});

describe('Reading documents', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'muon-docs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('read YAML and JSON alike', () => {
    writeFileSync(join(dir, 'a.yaml'), 'message: hi\nn: 3\n');
    writeFileSync(join(dir, 'a.json'), '{"message": "hi", "n": 3}');
    expect(readDocument(join(dir, 'a.yaml'))).toEqual({ message: 'hi', n: 3 });
    expect(readDocument(join(dir, 'a.json'))).toEqual({ message: 'hi', n: 3 });
    writeFileSync(join(dir, 'empty.yaml'), '# nothing\n');
    expect(readMapping(join(dir, 'empty.yaml'), 'input object')).toEqual({});
  });

  it('name the file, line and column of a syntax error, with exit code 2', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'message: hi\nlist: [1, 2\nother: 3\n');
    const error = cliErrorOf(() => readDocument(file));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(new RegExp(`^${file}: line 3, column 1: Flow sequence`));
    writeFileSync(file, 'a: 1\na: 2\n');
    expect(cliErrorOf(() => readDocument(file)).message).toMatch(/line 2, column 1: Map keys must be unique/);
  });

  it('say which file cannot be read, and refuse a document that is not a mapping', () => {
    const missing = cliErrorOf(() => readDocument(join(dir, 'missing.yaml'), 'input object'));
    expect(missing.message).toBe(`Cannot read the input object ${join(dir, 'missing.yaml')}: no such file.`);
    expect(missing.exitCode).toBe(2);
    mkdirSync(join(dir, 'a-directory'), { recursive: true });
    expect(cliErrorOf(() => readDocument(join(dir, 'a-directory'), 'input object')).message).toBe(
      `Cannot read the input object ${join(dir, 'a-directory')}: it is a directory, not a file.`,
    );
    writeFileSync(join(dir, 'list.yaml'), '- 1\n- 2\n');
    expect(cliErrorOf(() => readMapping(join(dir, 'list.yaml'), 'input object')).message).toMatch(
      /the input object must be a mapping/,
    );
  });
});

describe('JDL input sandboxes', () => {
  it('keep SB:, LFN: and URLs, and replace the local files by the sandbox that holds them', () => {
    const ad = parseJdl(
      'Executable = "wc"; InputSandbox = {"data/numbers.txt", "run.sh", "LFN:/vo/user/a/x", "SB:SandboxSE|/S3/b/k"};',
    );
    const { local, remote } = jdlSandboxEntries(ad);
    expect(local).toEqual(['data/numbers.txt', 'run.sh']);
    expect(remote).toEqual(['LFN:/vo/user/a/x', 'SB:SandboxSE|/S3/b/k']);
    setJdlSandbox(ad, remote, reference);
    expect(jdlSandboxEntries(parseJdl(toJdl(ad)))).toEqual({
      local: [],
      remote: ['LFN:/vo/user/a/x', 'SB:SandboxSE|/S3/b/k', reference],
    });
  });
});
