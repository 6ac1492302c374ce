import { describe, expect, it } from 'vitest';
import { parseContentRange as cliRange } from '#cli/commands/job-api.ts';
import { parseContentRange as webRange } from '../../../web/src/content-range.ts';

describe('Content-Range as the CLI and the web monitor read it', () => {
  it('reads a counted page, a page past the end, and an uncounted total (*)', () => {
    expect(cliRange('jobs 0-99/1234')).toEqual({ first: 0, last: 99, total: 1234 });
    expect(cliRange('jobs */1234')).toEqual({ first: -1, last: -1, total: 1234 });
    expect(cliRange('jobs 100-199/*')).toEqual({ first: 100, last: 199, total: undefined });
    expect(cliRange('jobs */*')).toBeUndefined();

    expect(webRange('jobs 0-99/1234', 100)).toEqual({ first: 0, last: 99, total: 1234, counted: true });
    expect(webRange('jobs */1234', 0)).toEqual({ first: 0, last: -1, total: 1234, counted: true });
    expect(webRange('jobs 100-199/*', 100)).toEqual({ first: 100, last: 199, total: 200, counted: false });
    expect(webRange(null, 3)).toEqual({ first: 0, last: 2, total: 3, counted: true });
  });
});
