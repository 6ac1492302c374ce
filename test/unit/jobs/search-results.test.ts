import { describe, expect, it } from 'vitest';
import type { StatusHistoryEntry } from '#shared/jobs/model.ts';
import { planRead } from '#shared/jobs/search/plan.ts';
import {
  compileFilters,
  compileSearch,
  type SearchParams,
  type SearchSpec,
} from '#shared/jobs/search/query.ts';
import type { SearchItem } from '#shared/jobs/search/read.ts';
import { arrangePage } from '#shared/jobs/search/rows.ts';
import { loggingInfo, searchResponse } from '#shared/jobs/search/search.ts';
import { summarize } from '#shared/jobs/search/summary.ts';

const item = (jobId: number, fields: Record<string, unknown> = {}): SearchItem => ({
  jobId,
  vo: 'lhcb',
  owner: 'alice',
  status: 'Waiting',
  site: 'ANY',
  submissionTime: '2025-08-25T10:00:00.000Z',
  ...fields,
});

const items = [
  item(5, { status: 'Done', site: 'LCG.CERN.cern', userPriority: 1 }),
  item(3, { status: 'Waiting', site: 'LCG.RAL.uk', userPriority: 5 }),
  item(9, { status: 'Done', site: 'LCG.RAL.uk', userPriority: 5 }),
  item(1, { status: 'Running', site: 'LCG.CERN.cern', userPriority: 3 }),
  item(7, { status: 'Done', userPriority: 5, site: undefined }),
];

const page = (params: SearchParams, pageNumber = 1, perPage = 100) =>
  arrangePage(items, compileSearch(params), pageNumber, perPage);
const ids = (params: SearchParams, pageNumber = 1, perPage = 100) =>
  page({ ...params, parameters: ['JobID'] }, pageNumber, perPage).rows.map(({ jobId }) => jobId);

describe('Job search results', () => {
  describe('sorting', () => {
    it('orders by JobID ascending when no sort is given', () => {
      expect(ids({})).toEqual([1, 3, 5, 7, 9]);
    });

    it('sorts by several columns and breaks ties by JobID ascending', () => {
      expect(
        ids({
          sort: [
            { parameter: 'UserPriority', direction: 'desc' },
            { parameter: 'Site', direction: 'asc' },
          ],
        }),
      ).toEqual([7, 3, 9, 1, 5]);
    });

    it('puts jobs without the value first when ascending and last when descending', () => {
      expect(ids({ sort: [{ parameter: 'Site', direction: 'asc' }] })[0]).toBe(7);
      expect(ids({ sort: [{ parameter: 'Site', direction: 'desc' }] }).at(-1)).toBe(7);
    });

    it('sorts numbers as numbers, not as text', () => {
      const many = [item(10), item(9), item(100)];
      const { rows } = arrangePage(
        many,
        compileSearch({ sort: [{ parameter: 'JobID', direction: 'desc' }] }),
        1,
        10,
      );
      expect(rows.map(({ jobId }) => jobId)).toEqual([100, 10, 9]);
    });
  });

  describe('columns and distinct', () => {
    it('returns only the requested columns, with null for unset ones', () => {
      expect(page({ parameters: ['JobID', 'Site'] }).rows.map(({ row }) => row)).toContainEqual({
        JobID: 7,
        Site: null,
      });
    });

    it('drops duplicate rows with distinct, counting rows after it', () => {
      const result = page({ parameters: ['Status'], distinct: true });
      expect(result.rows.map(({ row }) => row)).toEqual([
        { Status: 'Running' },
        { Status: 'Waiting' },
        { Status: 'Done' },
      ]);
      expect(result.total).toBe(3);
    });
  });

  describe('pagination', () => {
    it('cuts 1-based pages and reports zero-based first and last indices', () => {
      expect(page({}, 1, 2)).toMatchObject({ total: 5, first: 0, last: 1 });
      expect(ids({}, 2, 2)).toEqual([5, 7]);
      expect(page({}, 3, 2)).toMatchObject({ total: 5, first: 4, last: 4 });
      expect(page({}, 4, 2)).toMatchObject({ rows: [], total: 5, first: 6, last: 5 });
    });

    it('answers 200 when the page holds every row', () => {
      const response = searchResponse({ items: [{ JobID: 1 }], total: 1, first: 0, last: 0 });
      expect(response).toEqual({ statusCode: 200, body: [{ JobID: 1 }] });
    });

    it('answers 206 with Content-Range when the page holds part of the rows', () => {
      const response = searchResponse({ items: [{ JobID: 5 }, { JobID: 7 }], total: 5, first: 2, last: 3 });
      expect(response.statusCode).toBe(206);
      expect(response.headers).toEqual({ 'content-range': 'jobs 2-3/5' });
    });

    it('answers 206 with Content-Range jobs first-last/* when the total was not counted', () => {
      const response = searchResponse({
        items: [{ JobID: 9 }, { JobID: 8 }],
        total: undefined,
        first: 0,
        last: 1,
      });
      expect(response).toEqual({
        statusCode: 206,
        body: [{ JobID: 9 }, { JobID: 8 }],
        headers: { 'content-range': 'jobs 0-1/*' },
      });
    });

    it('answers 416 with Content-Range */total past the end, and 200 [] when nothing matches', () => {
      const past = searchResponse({ items: [], total: 5, first: 6, last: 5 });
      expect(past).toEqual({ statusCode: 416, body: [], headers: { 'content-range': 'jobs */5' } });
      expect(searchResponse({ items: [], total: 0, first: 100, last: 99 })).toEqual({
        statusCode: 200,
        body: [],
      });
    });
  });

  describe('summary', () => {
    it('counts jobs per combination of the grouping columns, ordered by them', () => {
      expect(summarize(items, ['Status', 'Site'])).toEqual([
        { Status: 'Done', Site: null, count: 1 },
        { Status: 'Done', Site: 'LCG.CERN.cern', count: 1 },
        { Status: 'Done', Site: 'LCG.RAL.uk', count: 1 },
        { Status: 'Running', Site: 'LCG.CERN.cern', count: 1 },
        { Status: 'Waiting', Site: 'LCG.RAL.uk', count: 1 },
      ]);
      expect(summarize(items, ['Status'])).toEqual([
        { Status: 'Done', count: 3 },
        { Status: 'Running', count: 1 },
        { Status: 'Waiting', count: 1 },
      ]);
    });
  });

  describe('LoggingInfo', () => {
    const entry = (time: string, fields: Partial<StatusHistoryEntry>): StatusHistoryEntry => ({
      time,
      status: 'idem',
      minorStatus: 'idem',
      applicationStatus: 'idem',
      source: 'JobWrapper',
      resultingStatus: 'Running',
      applied: true,
      ...fields,
    });

    it('lists the history in time order, carrying forward fields an update left unset', () => {
      const history = [
        entry('2025-08-25T10:05:00.000Z', { minorStatus: 'Application' }),
        entry('2025-08-25T10:00:00.000Z', {
          status: 'Received',
          minorStatus: 'Job accepted',
          source: 'JobManager',
        }),
        entry('2025-08-25T10:10:00.000Z', { status: 'Done', applicationStatus: 'ok' }),
      ];
      expect(loggingInfo({ history })).toEqual([
        {
          Status: 'Received',
          MinorStatus: 'Job accepted',
          ApplicationStatus: 'Unknown',
          StatusTime: '2025-08-25T10:00:00.000Z',
          Source: 'JobManager',
        },
        {
          Status: 'Received',
          MinorStatus: 'Application',
          ApplicationStatus: 'Unknown',
          StatusTime: '2025-08-25T10:05:00.000Z',
          Source: 'JobWrapper',
        },
        {
          Status: 'Done',
          MinorStatus: 'Application',
          ApplicationStatus: 'ok',
          StatusTime: '2025-08-25T10:10:00.000Z',
          Source: 'JobWrapper',
        },
      ]);
    });
  });

  describe('read planning', () => {
    const plan = (search: SearchSpec[], owner?: string) =>
      planRead(owner === undefined ? { vo: 'lhcb' } : { vo: 'lhcb', owner }, compileFilters(search));

    it('reads named job ids with BatchGet before anything else', () => {
      expect(
        plan([
          { parameter: 'JobID', operator: 'in', values: [1, 2, 3, 4.5] },
          { parameter: 'Status', operator: 'eq', value: 'Done' },
          { parameter: 'JobID', operator: 'gt', value: 1 },
        ]),
      ).toEqual({ kind: 'jobIds', jobIds: [2, 3] });
    });

    it('queries by owner for a normal user, and by an Owner condition for an administrator', () => {
      expect(plan([{ parameter: 'Status', operator: 'eq', value: 'Done' }], 'alice')).toEqual({
        kind: 'byOwner',
        owners: ['alice'],
        range: {},
      });
      expect(plan([{ parameter: 'Owner', operator: 'in', values: ['bob', 'carol'] }])).toMatchObject({
        kind: 'byOwner',
        owners: ['bob', 'carol'],
      });
    });

    it('reads nothing when a normal user asks for somebody else’s jobs', () => {
      expect(plan([{ parameter: 'Owner', operator: 'eq', value: 'bob' }], 'alice')).toEqual({ kind: 'none' });
    });

    it('queries by status, one partition per known status', () => {
      expect(plan([{ parameter: 'Status', operator: 'in', values: ['Done', 'Failed', 'Bogus'] }])).toEqual({
        kind: 'byStatus',
        statuses: ['Done', 'Failed'],
        range: {},
      });
    });

    it('walks the VO blocks otherwise, bounded by JobID gt/lt as inclusive key bounds', () => {
      expect(
        plan([
          { parameter: 'JobID', operator: 'gt', value: 1500 },
          { parameter: 'JobID', operator: 'lt', value: '2500' },
          { parameter: 'Site', operator: 'like', value: 'LCG.%' },
        ]),
      ).toEqual({ kind: 'byVo', range: { low: 1501, high: 2499 } });
      expect(
        plan([
          { parameter: 'JobID', operator: 'gt', value: 10 },
          { parameter: 'JobID', operator: 'lt', value: 5 },
        ]),
      ).toEqual({ kind: 'none' });
    });
  });
});
