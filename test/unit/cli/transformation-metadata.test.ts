/** `muon transformation submit --metadata`: a required field left out is named as missing. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTransformation } from '#cli/commands/transformation.ts';

const generate = join(import.meta.dirname, '../../../examples/production/generate.cwl');

function metadata(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'muon-tr-')), 't.yaml');
  writeFileSync(file, text);
  return file;
}

describe('readTransformation', () => {
  it('says a required field is missing, under dirac-cwl’s name', () => {
    const file = metadata('group_size: 2\n');
    expect(() => readTransformation(generate, file)).toThrow(
      `${file}: the transformation is not valid:\n  tasks: missing (a transformation without an input query generates: give the number of tasks)`,
    );
  });

  it('takes a generation without group_size: one file per task, as DIRAC defaults', () => {
    expect(readTransformation(generate, metadata('tasks: 2\n')).groupSize).toBeUndefined();
  });

  it('names a field that is there but wrong as before (muon’s name)', () => {
    const file = metadata('tasks: 2\ngroup_size: 0\n');
    expect(() => readTransformation(generate, file)).toThrow(
      `${file}: the transformation is not valid:\n  groupSize: the group size is at least 1`,
    );
  });
});
