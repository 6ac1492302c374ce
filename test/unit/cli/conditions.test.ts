import { describe, expect, it } from 'vitest';
import {
  parseCondition,
  parseCount,
  parseJobIds,
  parseParameter,
  parseSort,
} from '#cli/commands/job-conditions.ts';
import { CliError } from '#cli/errors.ts';

/** The usage error a parse throws: its message and exit code. */
function usageError(parse: () => unknown): { message: string; exitCode: number } {
  try {
    parse();
  } catch (error) {
    if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
    throw error;
  }
  throw new Error('expected a usage error');
}

describe('--condition', () => {
  it('reads a scalar condition as DiracX does: the value is the rest of the text', () => {
    expect(parseCondition('Status eq Waiting')).toEqual({
      parameter: 'Status',
      operator: 'eq',
      value: 'Waiting',
    });
    expect(parseCondition('JobName like hello world%')).toEqual({
      parameter: 'JobName',
      operator: 'like',
      value: 'hello world%',
    });
    expect(parseCondition('JobID gt 1000')).toMatchObject({ operator: 'gt', value: '1000' });
    expect(parseCondition('JobName regex ^param_[0-9]+$')).toMatchObject({ value: '^param_[0-9]+$' });
  });

  it('takes the two-word operators', () => {
    expect(parseCondition('JobName not like %test%')).toEqual({
      parameter: 'JobName',
      operator: 'not like',
      value: '%test%',
    });
    expect(parseCondition('Status not  in Done,Failed')).toEqual({
      parameter: 'Status',
      operator: 'not in',
      values: ['Done', 'Failed'],
    });
  });

  it('reads vector values as a JSON list or a comma-separated list', () => {
    expect(parseCondition('JobID in [1, 2, 3]')).toMatchObject({ operator: 'in', values: [1, 2, 3] });
    expect(parseCondition('Status in ["Waiting", "Running"]')).toMatchObject({
      values: ['Waiting', 'Running'],
    });
    expect(parseCondition('Status in Waiting, Running,')).toMatchObject({ values: ['Waiting', 'Running'] });
  });

  it('drops outer quotes around a value and accepts operators in any case', () => {
    expect(parseCondition('JobName EQ "my job"')).toEqual({
      parameter: 'JobName',
      operator: 'eq',
      value: 'my job',
    });
    expect(parseCondition("Site eq 'LCG.CERN.cern'")).toMatchObject({ value: 'LCG.CERN.cern' });
  });

  it('refuses malformed conditions with exit code 2 and what to write', () => {
    expect(usageError(() => parseCondition('Status'))).toEqual({
      exitCode: 2,
      message: expect.stringContaining('"<parameter> <operator> <value>"'),
    });
    expect(usageError(() => parseCondition('Status eq')).message).toMatch(/eq needs a value/);
    expect(usageError(() => parseCondition('Status is Waiting')).message).toMatch(
      /unknown operator "is". Operators: "eq", "neq", .*"not in"/,
    );
    expect(usageError(() => parseCondition('JobID in [1, 2')).message).toMatch(/not a JSON list/);
    expect(usageError(() => parseCondition('JobID in [[1]]')).message).toMatch(/strings or numbers/);
    expect(usageError(() => parseCondition('JobID in ,')).message).toMatch(/at least one value/);
  });

  it('names the closest column when the parameter is not one', () => {
    expect(usageError(() => parseCondition('status eq Waiting')).message).toMatch(
      /"status" is not a job column \(did you mean Status\?\)/,
    );
  });
});

describe('--sort, --parameter, ids and counts', () => {
  it('reads a sort with an optional direction', () => {
    expect(parseSort('JobID')).toEqual({ parameter: 'JobID', direction: 'asc' });
    expect(parseSort('LastUpdateTime DESC')).toEqual({ parameter: 'LastUpdateTime', direction: 'desc' });
    expect(usageError(() => parseSort('JobID down')).exitCode).toBe(2);
  });

  it('accepts LoggingInfo as a parameter, and only real columns otherwise', () => {
    expect(parseParameter('LoggingInfo')).toBe('LoggingInfo');
    expect(usageError(() => parseParameter('Owners')).message).toMatch(/did you mean Owner/);
  });

  it('reads job ids given apart or comma-separated, once each', () => {
    expect(parseJobIds(['3', '1,2', '3'])).toEqual([3, 1, 2]);
    expect(usageError(() => parseJobIds([])).message).toBe('Give at least one job id.');
    expect(usageError(() => parseJobIds(['1.5'])).message).toMatch(/"1.5" is not a job id/);
    expect(usageError(() => parseJobIds(['0'])).exitCode).toBe(2);
  });

  it('reads page counts within their bounds', () => {
    expect(parseCount('3', '--page')).toBe(3);
    expect(usageError(() => parseCount('0', '--page')).message).toBe(
      '--page must be a whole number from 1, not "0".',
    );
    expect(usageError(() => parseCount('20000', '--per-page', 1, 10_000)).message).toMatch(/from 1 to 10000/);
  });
});
