/**
 * Job ids written as text (path parameters, keys of status and heartbeat maps) are plain decimal
 * integers; every other spelling `Number()` would accept is refused with a 422.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/errors.ts';
import { heartbeatsSchema } from '#shared/jobs/heartbeat.ts';
import { jobIdParameter, jobIdsSchema, parseJobId } from '#shared/jobs/http.ts';
import { statusUpdatesSchema } from '#shared/jobs/status-request.ts';

const refused = [
  '0x1',
  '1e3',
  ' 1',
  '1 ',
  '1.0',
  '01',
  '-1',
  '+1',
  '0',
  '',
  '1_000',
  'Infinity',
  '9007199254740993',
];
const accepted: [string, number][] = [
  ['1', 1],
  ['42', 42],
  ['9007199254740991', Number.MAX_SAFE_INTEGER],
];

describe('job ids as text', () => {
  it.each(accepted)('reads %j as job %d', (text, id) => {
    expect(parseJobId(text)).toBe(id);
    expect(jobIdParameter(text)).toBe(id);
  });

  it.each(refused)('refuses %j in a path with a 422 saying what a job id is', (text) => {
    expect(parseJobId(text)).toBeUndefined();
    let thrown: unknown;
    try {
      jobIdParameter(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect(thrown).toMatchObject({ statusCode: 422, code: 'job.invalid_id' });
    expect((thrown as Error).message).toMatch(/job ids are plain decimal integers/);
  });

  it('refuses a missing path parameter', () => {
    expect(() => jobIdParameter(undefined)).toThrow(ValidationError);
  });

  it.each(refused)('refuses %j as a key of a status or heartbeat map', (text) => {
    const status = statusUpdatesSchema.safeParse({
      [text]: { '2026-01-01T00:00:00Z': { Status: 'Running' } },
    });
    expect(status.success).toBe(false);
    expect(status.error?.issues.map((issue) => issue.message)).toContainEqual(
      expect.stringMatching(/job ids are plain decimal integers/),
    );
    const beats = heartbeatsSchema.safeParse({ [text]: { LoadAverage: 1 } });
    expect(beats.success).toBe(false);
    expect(beats.error?.issues.map((issue) => issue.message)).toContainEqual(
      expect.stringMatching(/job ids are plain decimal integers/),
    );
  });

  it('takes plain decimal keys in status and heartbeat maps', () => {
    expect(
      statusUpdatesSchema.safeParse({ '12': { '2026-01-01T00:00:00Z': { Status: 'Running' } } }).success,
    ).toBe(true);
    expect(heartbeatsSchema.safeParse({ '12': { LoadAverage: 1 } }).success).toBe(true);
  });
});

describe('job ids as JSON numbers', () => {
  it('takes whole positive numbers, 1e3 being 1000 in JSON', () => {
    expect(jobIdsSchema.parse(JSON.parse('{"job_ids": [1, 1e3]}'))).toEqual({ job_ids: [1, 1000] });
  });

  it.each([[1.5], [0], [-1], [2 ** 53], ['1']])('refuses %j', (id) => {
    expect(jobIdsSchema.safeParse({ job_ids: [id] }).success).toBe(false);
  });
});
