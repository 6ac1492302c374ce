import { describe, expect, it } from 'vitest';
import { BadRequestError, ValidationError } from '#shared/errors.ts';
import {
  compileFilter,
  compileSearch,
  likePattern,
  type SearchSpec,
  searchPageQuerySchema,
  searchParamsSchema,
} from '#shared/jobs/search/query.ts';
import { parsePartialTimestamp } from '#shared/jobs/search/time-range.ts';

const micros = (iso: string) => Date.parse(iso) * 1000;
const matches = (spec: SearchSpec, stored: unknown) => compileFilter(spec).test(stored);
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error as BadRequestError;
  }
  throw new Error('expected a refusal');
};

describe('Job search query language', () => {
  describe('columns and operators', () => {
    it('refuses an unknown column with a 400 that names it and lists the valid ones', () => {
      const error = refusal(() => compileFilter({ parameter: 'Colour', operator: 'eq', value: 'red' }));
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.statusCode).toBe(400);
      expect(error.message).toContain('"Colour"');
      expect(error.message).toContain('JobID, VO, Owner');
    });

    it('refuses an unknown operator, listing the valid operators', () => {
      const error = refusal(() => compileFilter({ parameter: 'Status', operator: 'contains', value: 'x' }));
      expect(error.statusCode).toBe(400);
      expect(error.message).toContain('"contains"');
      expect(error.message).toContain('"not like"');
      expect(error.message).toContain('"regex"');
    });

    it('refuses unknown columns in parameters and sort, and an unknown sort direction', () => {
      expect(refusal(() => compileSearch({ parameters: ['Nope'] })).message).toContain(
        'Cannot return "Nope"',
      );
      expect(
        refusal(() => compileSearch({ sort: [{ parameter: 'Nope', direction: 'asc' }] })).message,
      ).toContain('Cannot sort by "Nope"');
      expect(
        refusal(() => compileSearch({ sort: [{ parameter: 'JobID', direction: 'up' }] })).statusCode,
      ).toBe(400);
    });

    it('asks for "values" with in/not in and for "value" with scalar operators', () => {
      expect(
        refusal(() => compileFilter({ parameter: 'Status', operator: 'in', value: 'Done' })).message,
      ).toContain('needs "values"');
      expect(
        refusal(() => compileFilter({ parameter: 'Status', operator: 'eq', values: ['Done'] })).message,
      ).toContain('needs "value"');
    });

    it('is a 422, not a crash, when a direct caller passes a malformed body', () => {
      expect(refusal(() => compileSearch({ search: 'Status' } as never))).toBeInstanceOf(ValidationError);
    });

    it('returns every column by default and the requested ones in table order', () => {
      expect(compileSearch({}).columns).toHaveLength(19);
      expect(compileSearch({ parameters: ['Status', 'JobID'] }).columns).toEqual(['JobID', 'Status']);
    });

    it('treats LoggingInfo as a pseudo-parameter that brings JobID along', () => {
      const alone = compileSearch({ parameters: ['LoggingInfo'] });
      expect(alone.loggingInfo).toBe(true);
      expect(alone.columns).toHaveLength(19);
      expect(compileSearch({ parameters: ['Status', 'LoggingInfo'] }).columns).toEqual(['JobID', 'Status']);
    });

    it('parses DiracX bodies with the defaults DiracX has', () => {
      expect(searchParamsSchema.parse({})).toEqual({ search: [], sort: [], distinct: false });
      expect(searchParamsSchema.safeParse({ search: [{ parameter: 'Status' }] }).success).toBe(false);
    });

    it('reads page and per_page from the query string, serving at most 10000 per page', () => {
      expect(searchPageQuerySchema.parse({})).toEqual({ page: 1, per_page: 100 });
      expect(searchPageQuerySchema.parse({ page: '3', per_page: '50000' })).toEqual({
        page: 3,
        per_page: 10_000,
      });
      expect(searchPageQuerySchema.safeParse({ page: '0' }).success).toBe(false);
      expect(searchPageQuerySchema.safeParse({ per_page: '0' }).success).toBe(false);
    });
  });

  describe('strings', () => {
    it('compares eq, neq, gt, lt, in and not in on strings', () => {
      expect(matches({ parameter: 'Site', operator: 'eq', value: 'LCG.CERN.cern' }, 'LCG.CERN.cern')).toBe(
        true,
      );
      expect(matches({ parameter: 'Site', operator: 'neq', value: 'LCG.CERN.cern' }, 'LCG.CERN.cern')).toBe(
        false,
      );
      expect(matches({ parameter: 'Owner', operator: 'gt', value: 'bob' }, 'carol')).toBe(true);
      expect(matches({ parameter: 'Owner', operator: 'lt', value: 'bob' }, 'carol')).toBe(false);
      expect(matches({ parameter: 'Status', operator: 'in', values: ['Done', 'Failed'] }, 'Failed')).toBe(
        true,
      );
      expect(
        matches({ parameter: 'Status', operator: 'not in', values: ['Done', 'Failed'] }, 'Waiting'),
      ).toBe(true);
    });

    it('never matches a job without the value, as SQL NULL never does', () => {
      for (const operator of ['eq', 'neq', 'like', 'not like', 'regex']) {
        expect(matches({ parameter: 'Site', operator, value: 'x' }, undefined)).toBe(false);
      }
      expect(matches({ parameter: 'Site', operator: 'not in', values: ['x'] }, undefined)).toBe(false);
    });

    it('matches like patterns with SQL wildcards % and _, anchored and case-sensitive', () => {
      const like = (pattern: string, value: string) =>
        matches({ parameter: 'JobName', operator: 'like', value: pattern }, value);
      expect(like('mc_%', 'mc_2025_run')).toBe(true);
      expect(like('mc_%', 'xmc_2025')).toBe(false);
      expect(like('%run', 'mc_2025_run')).toBe(true);
      expect(like('job_', 'job7')).toBe(true);
      expect(like('job_', 'job77')).toBe(false);
      expect(like('a.b', 'axb')).toBe(false);
      expect(like('Job%', 'job1')).toBe(false);
      expect(like('100\\%', '100%')).toBe(true);
      expect(like('100\\%', '1000')).toBe(false);
      expect(matches({ parameter: 'JobName', operator: 'not like', value: 'mc%' }, 'user job')).toBe(true);
    });

    it('keeps regex metacharacters literal inside like patterns', () => {
      expect(likePattern('(a+)[b]$').test('(a+)[b]$')).toBe(true);
      expect(likePattern('(a+)[b]$').test('aab')).toBe(false);
    });

    it('searches with regex anywhere in the value', () => {
      expect(matches({ parameter: 'Site', operator: 'regex', value: 'CERN|RAL' }, 'LCG.RAL.uk')).toBe(true);
      expect(matches({ parameter: 'Site', operator: 'regex', value: '^CERN' }, 'LCG.CERN.cern')).toBe(false);
    });

    it('refuses an invalid regex with a 400', () => {
      const error = refusal(() => compileFilter({ parameter: 'Site', operator: 'regex', value: '([a-z' }));
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('search.invalid_regex');
      expect(error.message).toContain('([a-z');
    });
  });

  describe('numbers', () => {
    it('compares number columns numerically, accepting numeric strings', () => {
      expect(matches({ parameter: 'JobID', operator: 'gt', value: '9' }, 10)).toBe(true);
      expect(matches({ parameter: 'JobID', operator: 'lt', value: 100 }, 99)).toBe(true);
      expect(matches({ parameter: 'JobID', operator: 'eq', value: '42' }, 42)).toBe(true);
      expect(matches({ parameter: 'JobID', operator: 'in', values: ['1', 2, '3'] }, 2)).toBe(true);
      expect(matches({ parameter: 'UserPriority', operator: 'neq', value: 1 }, 3)).toBe(true);
    });

    it('refuses a number condition whose value is not a number', () => {
      const error = refusal(() => compileFilter({ parameter: 'JobID', operator: 'eq', value: 'abc' }));
      expect(error.statusCode).toBe(400);
      expect(error.message).toContain('"abc" is not a number');
    });

    it('applies like and regex to the decimal form of a number', () => {
      expect(matches({ parameter: 'JobID', operator: 'like', value: '12%' }, 1234)).toBe(true);
      expect(matches({ parameter: 'JobID', operator: 'regex', value: '4$' }, 1234)).toBe(true);
    });
  });

  describe('partial timestamps', () => {
    it('turns each precision into the half-open range it names', () => {
      const cases: [string, string, string][] = [
        ['2025', '2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z'],
        ['2025-02', '2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z'],
        ['2024-12', '2024-12-01T00:00:00Z', '2025-01-01T00:00:00Z'],
        ['2025-08-25', '2025-08-25T00:00:00Z', '2025-08-26T00:00:00Z'],
        ['2025-08-25 10', '2025-08-25T10:00:00Z', '2025-08-25T11:00:00Z'],
        ['2025-08-25T10:30', '2025-08-25T10:30:00Z', '2025-08-25T10:31:00Z'],
        ['2025-08-25 10:30:15Z', '2025-08-25T10:30:15Z', '2025-08-25T10:30:16Z'],
      ];
      for (const [text, start, end] of cases) {
        expect(parsePartialTimestamp(text), text).toMatchObject({ start: micros(start), end: micros(end) });
      }
      expect(parsePartialTimestamp('2025-08-25T10:30:15.123456Z')).toEqual({
        resolution: 'microsecond',
        start: micros('2025-08-25T10:30:15Z') + 123_456,
        end: micros('2025-08-25T10:30:15Z') + 123_457,
      });
    });

    it('rejects what is not a real time', () => {
      for (const text of [
        '2025-13',
        '2025-02-30',
        '2025-08-25 24',
        '25-08',
        '2025/08/25',
        '2025-08-25T10:00+02:00',
      ]) {
        expect(parsePartialTimestamp(text), text).toBeUndefined();
      }
    });

    it('matches eq, neq, gt and lt against the range, as DiracX does', () => {
      const at = '2025-08-25T10:30:00.000Z';
      const time = (operator: string, value: string) =>
        matches({ parameter: 'SubmissionTime', operator, value }, at);
      expect(time('eq', '2025-08')).toBe(true);
      expect(time('eq', '2025-08-25 10')).toBe(true);
      expect(time('eq', '2025-08-25 11')).toBe(false);
      expect(time('neq', '2025-08-25')).toBe(false);
      expect(time('neq', '2025-07')).toBe(true);
      // gt means after the whole range; lt before its start.
      expect(time('gt', '2025-08-25')).toBe(false);
      expect(time('gt', '2025-08-24')).toBe(true);
      expect(time('lt', '2025-08-25')).toBe(false);
      expect(time('lt', '2025-08-26')).toBe(true);
      expect(time('eq', '2025-08-25T10:30:00.000Z')).toBe(true);
    });

    it('matches in and not in against any of the ranges', () => {
      const at = '2025-08-25T10:30:00.000Z';
      expect(
        matches({ parameter: 'LastUpdateTime', operator: 'in', values: ['2025-07', '2025-08'] }, at),
      ).toBe(true);
      expect(
        matches({ parameter: 'LastUpdateTime', operator: 'not in', values: ['2025-07', '2025-08'] }, at),
      ).toBe(false);
    });

    it('refuses mixed resolutions in one in, and values that are not times', () => {
      expect(
        refusal(() =>
          compileFilter({ parameter: 'SubmissionTime', operator: 'in', values: ['2025', '2025-08'] }),
        ).message,
      ).toContain('cannot mix time resolutions');
      const error = refusal(() =>
        compileFilter({ parameter: 'SubmissionTime', operator: 'gt', value: 'yesterday' }),
      );
      expect(error.statusCode).toBe(400);
      expect(error.message).toContain('"yesterday" is not a time');
    });

    it('never matches a job whose time is unset', () => {
      expect(matches({ parameter: 'EndExecTime', operator: 'neq', value: '2025' }, undefined)).toBe(false);
    });
  });
});
