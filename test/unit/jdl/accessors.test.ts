import { describe, expect, it } from 'vitest';
import {
  getBoolean,
  getNumber,
  getString,
  getStringList,
  JdlValueError,
  parseJdl,
} from '#shared/jdl/index.ts';
import { thrownBy } from '#test/unit/jdl/helpers.ts';

const ad = parseJdl(`[
  Executable = "run.sh";
  JobName = helloWorld;
  JobGroup = 42;
  InputSandbox = { "run.sh", "LFN:/vo/user/a/alice/lib.tar.gz" };
  InputData = { /lhcb/data/data1, "LFN:/vo/data/b.root" };
  Site = "LCG.CERN.cern";
  BannedSites = "LCG.RAL.uk, LCG.PIC.es,,";
  Tags = "";
  Pairs = { { "a" } };
  CPUTime = 86400;
  MaxRAM = 2.5;
  Priority = "3";
  MaxCPUTime = "soon";
  JobRequirements = [ CPUTime = 1 ];
  StageAllowed = true;
  WholeNode = "Yes";
  DisableCPUCheck = 1;
  UseProxy = n;
  Flag = "maybe";
]`);

function valueError(run: () => unknown): JdlValueError {
  const error = thrownBy(run);
  if (!(error instanceof JdlValueError)) throw error;
  return error;
}

describe('JDL attribute accessors', () => {
  it('reads single values as text, whatever their case', () => {
    expect(getString(ad, 'executable')).toBe('run.sh');
    expect(getString(ad, 'JobName')).toBe('helloWorld');
    expect(getString(ad, 'JobGroup')).toBe('42');
    expect(getString(ad, 'MaxRAM')).toBe('2.5');
    expect(getString(ad, 'Missing')).toBeUndefined();
  });

  it('refuses a list or a ClassAd where a single value is expected', () => {
    const error = valueError(() => getString(ad, 'InputSandbox'));

    expect(error.message).toBe(
      'InputSandbox must be a single value, not { "run.sh", "LFN:/vo/user/a/alice/lib.tar.gz" }.',
    );
    expect(error).toMatchObject({ code: 'jdl.invalid_value', statusCode: 400, attribute: 'InputSandbox' });
    expect(() => getString(ad, 'JobRequirements')).toThrow(JdlValueError);
  });

  it('reads lists, single strings and comma-separated strings as lists, as DIRAC does', () => {
    expect(getStringList(ad, 'InputSandbox')).toEqual(['run.sh', 'LFN:/vo/user/a/alice/lib.tar.gz']);
    expect(getStringList(ad, 'InputData')).toEqual(['/lhcb/data/data1', 'LFN:/vo/data/b.root']);
    expect(getStringList(ad, 'Site')).toEqual(['LCG.CERN.cern']);
    expect(getStringList(ad, 'BannedSites')).toEqual(['LCG.RAL.uk', 'LCG.PIC.es']);
    expect(getStringList(ad, 'Tags')).toEqual([]);
    expect(getStringList(ad, 'CPUTime')).toEqual(['86400']);
    expect(getStringList(ad, 'Missing')).toEqual([]);
  });

  it('refuses lists of lists and ClassAds where a list of values is expected', () => {
    expect(valueError(() => getStringList(ad, 'Pairs')).message).toBe(
      'Pairs must be a list of plain values, not { { "a" } }.',
    );
    expect(() => getStringList(ad, 'JobRequirements')).toThrow(JdlValueError);
  });

  it('reads numbers, also when written as strings', () => {
    expect(getNumber(ad, 'CPUTime')).toBe(86400);
    expect(getNumber(ad, 'MaxRAM')).toBe(2.5);
    expect(getNumber(ad, 'Priority')).toBe(3);
    expect(getNumber(ad, 'Missing')).toBeUndefined();
    expect(valueError(() => getNumber(ad, 'MaxCPUTime')).message).toBe(
      'MaxCPUTime must be a number, not "soon".',
    );
    expect(() => getNumber(ad, 'Executable')).toThrow(JdlValueError);
  });

  it("reads flags in DIRAC's spellings: true/false, yes/no, y/n and 1/0", () => {
    expect(getBoolean(ad, 'StageAllowed')).toBe(true);
    expect(getBoolean(ad, 'WholeNode')).toBe(true);
    expect(getBoolean(ad, 'DisableCPUCheck')).toBe(true);
    expect(getBoolean(ad, 'UseProxy')).toBe(false);
    expect(getBoolean(ad, 'Missing')).toBeUndefined();
    for (const [spelling, expected] of [
      ['"no"', false],
      ['"FALSE"', false],
      ['0', false],
      ['"Y"', true],
      ['yes', true],
    ] as const) {
      expect(getBoolean(parseJdl(`Flag = ${spelling}`), 'Flag')).toBe(expected);
    }
    expect(valueError(() => getBoolean(ad, 'Flag')).message).toBe(
      'Flag must be true or false (or yes/no, 1/0), not "maybe".',
    );
  });
});
