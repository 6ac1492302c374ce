import { describe, expect, it } from 'vitest';
import { validateCwl, validateJobOrder } from '#shared/cwl/index.ts';
import { fixture, issuesOf, messageAt } from './fixtures.ts';

const hello = validateCwl(fixture('hello-world.cwl'));
const simulate = validateCwl(fixture('dirac-hints-tool.cwl'));
const typed = validateCwl({
  cwlVersion: 'v1.2',
  class: 'CommandLineTool',
  baseCommand: 'run',
  requirements: {
    SchemaDefRequirement: {
      types: [{ name: 'Range', type: 'record', fields: { from: 'int', to: 'int', step: 'int?' } }],
    },
  },
  inputs: {
    count: 'int',
    ratio: 'float',
    big: 'long?',
    flag: { type: 'boolean', default: false },
    names: 'string[]',
    mode: { type: { type: 'enum', symbols: ['fast', 'exact'] } },
    range: 'Range',
    data: 'Directory?',
    anything: 'Any?',
  },
  outputs: [],
});
const complete = {
  count: 3,
  ratio: 0.5,
  names: ['a', 'b'],
  mode: 'fast',
  range: { from: 1, to: 9 },
};

describe('validateJobOrder', () => {
  it('reads record fields a packed document names under their record (#types.yml/kit/bait)', () => {
    const kit = {
      name: '#types.yml/kit',
      type: 'record',
      fields: [{ name: '#types.yml/kit/bait', type: 'string' }],
    };
    const task = validateCwl({
      cwlVersion: 'v1.2',
      $graph: [
        {
          id: '#main',
          class: 'CommandLineTool',
          baseCommand: 'true',
          requirements: [{ class: 'SchemaDefRequirement', types: [kit] }],
          inputs: [{ id: '#main/kit', type: '#types.yml/kit' }],
          outputs: [],
        },
      ],
    });
    expect(validateJobOrder(task, { kit: { bait: 'abait' } })).toEqual({ kit: { bait: 'abait' } });
  });

  it('accepts the hello-world inputs file', () => {
    expect(validateJobOrder(hello, fixture('hello-world.inputs.yaml'))).toEqual({
      message: 'Hello from muon',
    });
  });

  it('accepts values of every type, leaving optional and defaulted inputs out', () => {
    expect(() => validateJobOrder(typed, complete)).not.toThrow();
    expect(() =>
      validateJobOrder(typed, {
        ...complete,
        big: 2 ** 40,
        data: { class: 'Directory', location: 's3://b/d' },
      }),
    ).not.toThrow();
  });

  it('names a required input that is missing', () => {
    expect(issuesOf(() => validateJobOrder(hello, {}))).toEqual([
      { path: 'message', message: 'required input is missing (type string)' },
    ]);
  });

  it('lets a null or absent value take the input default', () => {
    expect(() =>
      validateJobOrder(simulate, { seeds: { class: 'File', path: 'seeds.txt' }, threads: null }),
    ).not.toThrow();
  });

  it('names an input of the wrong type', () => {
    expect(issuesOf(() => validateJobOrder(hello, { message: 42 }))).toEqual([
      { path: 'message', message: 'expected string, got number 42' },
    ]);
  });

  it('names an input the task does not have', () => {
    const issues = issuesOf(() => validateJobOrder(hello, { message: 'hi', mesage: 'typo' }));
    expect(messageAt(issues, 'mesage')).toBe(
      'unknown input (did you mean "message"?); the task\'s inputs are: message',
    );
  });

  it('names each wrong element, field and symbol inside lists, records and enums', () => {
    const issues = issuesOf(() =>
      validateJobOrder(typed, {
        ...complete,
        count: 1.5,
        names: ['a', 7],
        mode: 'slow',
        range: { from: 1, too: 2 },
      }),
    );
    expect(issues).toEqual([
      { path: 'count', message: 'expected int, got number 1.5' },
      { path: 'names[1]', message: 'expected string, got number 7' },
      { path: 'mode', message: 'expected one of fast, exact, got the string "slow"' },
      { path: 'range.to', message: 'missing required field' },
      { path: 'range.too', message: 'unknown field (did you mean "to"?)' },
    ]);
  });

  it('requires a File to have class and a location, path or contents', () => {
    expect(issuesOf(() => validateJobOrder(simulate, { seeds: { location: 'lfn:/vo/seeds.txt' } }))).toEqual([
      { path: 'seeds.class', message: 'missing "class: File"' },
    ]);
    expect(issuesOf(() => validateJobOrder(simulate, { seeds: { class: 'File' } }))).toEqual([
      { path: 'seeds', message: 'a File needs "location", "path" or "contents"' },
    ]);
    expect(issuesOf(() => validateJobOrder(simulate, { seeds: 'seeds.txt' }))[0]?.message).toMatch(
      /expected a File/,
    );
    expect(() => validateJobOrder(simulate, { seeds: { class: 'File', contents: '1 2 3' } })).not.toThrow();
  });

  it('checks the secondary files and listings inside Files and Directories', () => {
    const issues = issuesOf(() =>
      validateJobOrder(simulate, {
        seeds: { class: 'File', path: 'seeds.txt', secondaryFiles: [{ class: 'Directory' }], colour: 'red' },
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual(['seeds.colour', 'seeds.secondaryFiles[0]']);
  });

  it('refuses an input object that is not a mapping', () => {
    expect(issuesOf(() => validateJobOrder(hello, ['hi']))).toEqual([
      { path: '(document)', message: 'expected a mapping of input ids to values' },
    ]);
  });
});
