import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packCwl } from '#cli/cwl/pack.ts';
import {
  collectDocumentFiles,
  inputSecondaryFiles,
  secondaryName,
  secondaryPatterns,
} from '#cli/cwl-files.ts';
import { findLocalFiles, knownInputs, planSandbox, pointToSandbox, readMapping } from '#cli/inputs.ts';
import { packSandbox } from '#cli/sandbox.ts';
import { createSandboxUnpacker } from '#pilot/wrapper/safe-tar.ts';

const fixtures = resolve('test/fixtures/cwl-inputs');
const read = (name: string) => readMapping(join(fixtures, name), 'file');

describe('Files a CWL document names', () => {
  it('ships defaults, InitialWorkDir literals and $schemas, and points them at their archive path', () => {
    const tool = read('tool.cwl');
    const { files, missing } = collectDocumentFiles(tool, fixtures);
    expect(files.map((file) => file.at).sort()).toEqual([
      '$schemas[0]',
      'inputs.extra.default',
      'requirements.InitialWorkDirRequirement.listing[0]',
    ]);
    // A missing default is cwltool's to warn about, not an error.
    expect(missing.map((file) => file.path)).toEqual([join(fixtures, 'data/absent.txt')]);
    const plan = planSandbox(
      files.map((file) => file.path),
      join(fixtures, 'schemas'),
    );
    for (const file of files) file.point(plan.archivePath(file.path));
    expect(tool.$schemas).toEqual(['schemas/EDAM.owl']);
    expect((tool.inputs as Record<string, { default: unknown }>).extra?.default).toEqual({
      class: 'File',
      location: 'data/default.txt',
    });
  });

  it('walks every process of a packed $graph', () => {
    const packed = {
      cwlVersion: 'v1.2',
      $graph: [
        { id: '#main', class: 'Workflow', inputs: [], outputs: [], steps: [] },
        {
          id: '#tool',
          class: 'CommandLineTool',
          inputs: [{ id: '#tool/f', type: 'File', default: { class: 'File', location: 'data/default.txt' } }],
          outputs: [],
        },
      ],
    };
    expect(collectDocumentFiles(packed, fixtures).files.map((file) => file.at)).toEqual([
      '$graph[1].inputs[0].default',
    ]);
  });
});

describe('Secondary files', () => {
  it('reads patterns as cwltool does: ^ strips an extension, ? makes one optional', () => {
    expect(secondaryPatterns(['^.bai', '.idx?', { pattern: '.crai', required: false }, '$(x)'])).toEqual([
      { pattern: '^.bai', required: true },
      { pattern: '.idx', required: false },
      { pattern: '.crai', required: false },
    ]);
    // `required` as an expression is cwltool's to evaluate on the pilot: optional on the client.
    expect(secondaryPatterns([{ pattern: '.dat2', required: '$(inputs.require_dat)' }])).toEqual([
      { pattern: '.dat2', required: false },
    ]);
    // cwltool --pack's `required: null` leaves it to the pattern.
    expect(
      secondaryPatterns([
        { pattern: '.idx', required: null },
        { pattern: '^.bai?', required: null },
      ]),
    ).toEqual([
      { pattern: '.idx', required: true },
      { pattern: '^.bai', required: false },
    ]);
    expect(secondaryName('reads.bam', '^.bai')).toBe('reads.bai');
    expect(secondaryName('a.b.c', '^^.d')).toBe('a.d');
    expect(secondaryName('reads.bam', '.idx')).toBe('reads.bam.idx');
  });

  it('ships the secondary files the tool implies; a missing optional one is no error', () => {
    const found = inputSecondaryFiles(read('tool.cwl'), read('job.yml'), fixtures).map((file) => file.path);
    expect(found.sort()).toEqual([join(fixtures, 'data/reads.bai'), join(fixtures, 'data/reads.bam.idx')]);
  });

  const records = join(fixtures, 'records');
  const recordFiles = (...names: string[]) => names.map((name) => join(records, 'rec', name)).sort();
  const secondaryPaths = (document: Record<string, unknown>, job: string) =>
    inputSecondaryFiles(document, read(`records/${job}`), records)
      .map((file) => file.path)
      .sort();

  it('ships the secondary files the fields of an anonymous record input imply', () => {
    expect(secondaryPaths(read('records/tool.cwl'), 'job.yml')).toEqual(recordFiles('A.s2', 'B.s3', 'C.s3'));
  });

  it('ships those of the fields of a SchemaDefRequirement record, in an array of records', () => {
    expect(secondaryPaths(read('records/named.cwl'), 'named-job.yml')).toEqual(
      recordFiles('A.s2', 'B.s3', 'C.s3'),
    );
  });

  it('ships those a step’s record input implies for a workflow input', () => {
    const packed = packCwl(join(records, 'wf.cwl')).document;
    expect(secondaryPaths(packed, 'job.yml')).toEqual(recordFiles('A.s2', 'B.s3', 'C.s3'));
  });

  it('leaves a File that lists its own secondary files alone', () => {
    const order = { bam: { class: 'File', location: 'data/reads.bam', secondaryFiles: [] } };
    expect(inputSecondaryFiles(read('tool.cwl'), order, fixtures)).toEqual([]);
  });
});

describe('Input objects', () => {
  it('decodes URL-encoded locations and finds the files of a Directory literal’s listing', () => {
    const paths = findLocalFiles(read('job.yml'), fixtures).map((file) => file.path);
    expect(paths).toContain(join(fixtures, 'data/file name.txt'));
    expect(paths).toContain(join(fixtures, 'data/sub/x.txt'));
    // The `contents` literal has nothing to ship.
    expect(paths).toHaveLength(3);
  });

  it('finds a File given by path in a Directory literal’s listing, and points it at the sandbox', () => {
    const order = read('dir-literal/job.yml');
    const locals = findLocalFiles(order, join(fixtures, 'dir-literal'));
    expect(locals.map((file) => [file.at, file.path])).toEqual([
      ['dir1.listing[0]', join(fixtures, 'dir-literal/hello.txt')],
    ]);
    const plan = planSandbox(
      locals.map((file) => file.path),
      join(fixtures, 'dir-literal'),
    );
    pointToSandbox(locals, 'SB:SandboxSE|/S3/x.tar.gz', plan);
    expect(order.dir1).toEqual({
      class: 'Directory',
      basename: 'cwl',
      listing: [{ class: 'File', location: 'SB:SandboxSE|/S3/x.tar.gz#hello.txt' }],
    });
  });

  it('ships a file named like a drive (A:Gln2Cys) under its own name', async () => {
    const base = mkdtempSync(join(tmpdir(), 'muon-colon-'));
    try {
      writeFileSync(join(base, 'A:Gln2Cys'), 'data');
      const order = { input_file: { class: 'File', location: 'A%3AGln2Cys' } };
      const locals = findLocalFiles(order, base);
      expect(locals.map((file) => file.path)).toEqual([join(base, 'A:Gln2Cys')]);
      const plan = planSandbox(
        locals.map((file) => file.path),
        base,
      );
      pointToSandbox(locals, 'SB:SandboxSE|/S3/x.tar.gz', plan);
      expect(order.input_file.location).toBe('SB:SandboxSE|/S3/x.tar.gz#A:Gln2Cys');
      const packed = await packSandbox(plan.entries, plan.baseDir);
      const archive = join(base, 'sandbox.tar.gz');
      writeFileSync(archive, packed.buffer);
      const job = join(base, 'job');
      mkdirSync(job);
      await createSandboxUnpacker(job, []).unpack(archive);
      expect(readdirSync(job)).toEqual(['A:Gln2Cys']);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('ignores keys that name no input, but keeps cwl:requirements', () => {
    const { order, ignored } = knownInputs(read('job.yml'), ['bam', 'named', 'dir']);
    expect(ignored).toEqual(['unknown_key']);
    expect(Object.keys(order)).toEqual(['bam', 'named', 'dir', 'cwl:requirements']);
  });
});
