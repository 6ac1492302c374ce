/**
 * Job search (DiracX `POST /api/jobs/search`): the jobs a caller may see that meet the conditions,
 * sorted, reduced to the requested columns, one page at a time. A route calls
 * `searchJobsResponse(searchTables(deps), searchScope(identity), body, query.page, query.per_page)`
 * and returns what it gives.
 */
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import { BadRequestError } from '#shared/errors.ts';
import { type HttpResult, respond } from '#shared/http/route.ts';
import { type JobRecord, jobColumns } from '#shared/jobs/model.ts';
import { IDEM } from '#shared/jobs/status-updates.ts';
import { getJobs } from '#shared/jobs/store/read-jobs.ts';
import { readOrdered } from './ordered.ts';
import {
  defaultCountUpTo,
  defaultSearchLimits,
  planRead,
  planSources,
  readJobs,
  type SearchLimits,
  type SearchScope,
  scopeAttributes,
  searchMatcher,
} from './plan.ts';
import { type CompiledSearch, compileSearch, maxPerPage, type SearchParams } from './query.ts';
import { batchGetSearchable, type JobTables, ReadBudget, type SearchItem } from './read.ts';
import { arrangePage, type Page, project, type WireValue } from './rows.ts';

/** One row of DIRAC's logging info (DiracX `JobStatusReturn`). */
export interface LoggingInfoEntry {
  readonly Status: string;
  readonly MinorStatus: string;
  readonly ApplicationStatus: string;
  readonly StatusTime: string;
  readonly Source: string;
}

/** A row of the requested columns, plus `LoggingInfo` when it was asked for. */
export type SearchRow = Record<string, WireValue | LoggingInfoEntry[]>;

export interface SearchResult {
  readonly items: SearchRow[];
  /** Rows matching the search, over all pages; undefined when not counted (ordered.ts). */
  readonly total: number | undefined;
  /** Zero-based indices of the first and last row of this page (`last` is `first - 1` when empty). */
  readonly first: number;
  readonly last: number;
}

/** The tables a search reads, from the resources a function was granted. */
export const searchTables = (deps: Pick<Deps, 'aws' | 'resources'>): JobTables => ({
  dynamo: deps.aws.dynamo,
  jobsTable: tableName(deps.resources, 'jobs'),
  countersTable: tableName(deps.resources, 'counters'),
});

export async function searchJobs(
  tables: JobTables,
  scope: SearchScope,
  params: SearchParams = {},
  page = 1,
  perPage = 100,
  limits: SearchLimits = defaultSearchLimits,
): Promise<SearchResult> {
  if (!Number.isInteger(page) || page < 1) {
    throw new BadRequestError(`page must be a whole number from 1; got ${page}.`, {
      code: 'search.bad_page',
    });
  }
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > maxPerPage) {
    throw new BadRequestError(`per_page must be a whole number from 1 to ${maxPerPage}; got ${perPage}.`, {
      code: 'search.bad_page',
    });
  }
  const search = compileSearch(params);
  const { rows, total, first, last } =
    (await orderedPage(tables, scope, search, page, perPage, limits)) ??
    arrangePage(
      (
        await readJobs(tables, scope, search.filters, limits, [
          ...search.columns,
          ...search.sort.map((key) => key.column),
        ])
      ).items,
      search,
      page,
      perPage,
    );
  if (!search.loggingInfo) return { items: rows.map(({ row }) => row), total, first, last };

  // The history is not in the indexes: read it from the jobs themselves, for this page only.
  const jobs = await getJobs(
    tables.dynamo,
    tables.jobsTable,
    rows.map(({ jobId }) => jobId),
  );
  const histories = new Map(jobs.map((job) => [job.jobId, loggingInfo(job)]));
  return {
    items: rows.map(({ jobId, row }) => ({ ...row, LoggingInfo: histories.get(jobId) ?? [] })),
    total,
    first,
    last,
  };
}

// The HTTP answer to a search, as DiracX gives it: 200 when the page holds every row; 206 with
// `Content-Range: jobs <first>-<last>/<total>` when it holds part of them; 416 with
// `Content-Range: jobs */<total>` when the page is past the end (RFC 9110 ranges, zero-based).
// A total that was not counted is `*` (`jobs 0-99/*`, RFC 9110 §14.4): a page in JobID order of a
// large table. It is only ever unknown for a full page: a short or empty page read to the end.

export function searchResponse(result: SearchResult): HttpResult {
  const { items, total, first, last } = result;
  if (total === undefined) return respond(206, items, { 'content-range': `jobs ${first}-${last}/*` });
  if (items.length === 0 && total > 0) return respond(416, items, { 'content-range': `jobs */${total}` });
  if (items.length < total) return respond(206, items, { 'content-range': `jobs ${first}-${last}/${total}` });
  return respond(200, items);
}

/**
 * A page of a search sorted by JobID alone (or not sorted: DiracX's order is then JobID's), read
 * in that order from the indexes instead of reading every matching job (ordered.ts). Undefined for
 * the other searches: other sorts, `distinct`, and named jobs, which read everything they match.
 */
async function orderedPage(
  tables: JobTables,
  scope: SearchScope,
  search: CompiledSearch,
  page: number,
  perPage: number,
  limits: SearchLimits,
): Promise<Page | undefined> {
  const [key, ...more] = search.sort;
  if (search.distinct || more.length > 0 || (key && key.column !== 'JobID')) return undefined;
  const plan = planRead(scope, search.filters);
  const sources = await planSources(tables, scope, plan, limits);
  if (!sources) return undefined;
  const budget = new ReadBudget(limits.maxItemsRead);
  const first = (page - 1) * perPage;
  // The walk reads what deciding needs (scope, conditions); the page's own rows are read after it.
  const attributes = [
    ...new Set([...scopeAttributes, ...search.filters.map((filter) => jobColumns[filter.column])]),
  ];
  const { items, total } = await readOrdered(
    tables,
    sources,
    {
      direction: key?.direction ?? 'asc',
      wanted: first + perPage,
      countUpTo: Math.min(limits.countUpTo ?? defaultCountUpTo, limits.maxItemsRead),
      concurrency: limits.concurrency,
      attributes,
    },
    budget,
    searchMatcher(scope, search.filters),
  );
  const pageItems = items.slice(first);
  const shown = search.columns.every((column) => attributes.includes(jobColumns[column]))
    ? pageItems
    : inOrder(
        // The page's own rows, one read each: not part of the walk's bound.
        await batchGetSearchable(
          tables,
          pageItems.map((item) => item.jobId),
          new ReadBudget(maxPerPage),
        ),
        pageItems,
      );
  const rows = shown.map((item) => ({ jobId: item.jobId, row: project(item, search.columns) }));
  return { rows, total, first, last: first + rows.length - 1 };
}

export async function searchJobsResponse(
  tables: JobTables,
  scope: SearchScope,
  params: SearchParams | undefined,
  page = 1,
  perPage = 100,
  limits: SearchLimits = defaultSearchLimits,
): Promise<HttpResult> {
  return searchResponse(await searchJobs(tables, scope, params, page, perPage, limits));
}

/**
 * `found` in the order of `wanted`. A job removed between the walk and this read is left out; one
 * changed meanwhile shows as it is now (DIRAC's JobDB reads a page and its rows in one query).
 */
function inOrder(found: readonly SearchItem[], wanted: readonly SearchItem[]): SearchItem[] {
  const byId = new Map(found.map((item) => [item.jobId, item]));
  return wanted.flatMap((item) => byId.get(item.jobId) ?? []);
}

/**
 * A job's history as DiracX's `get_records` shows it: in time order, each "idem" (a field the
 * update did not carry) replaced by the value before it, and a first unset application status
 * shown as "Unknown".
 */
export function loggingInfo(job: Pick<JobRecord, 'history'>): LoggingInfoEntry[] {
  const entries = [...(job.history ?? [])].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const out: LoggingInfoEntry[] = [];
  for (const entry of entries) {
    const previous = out.at(-1);
    const carried = (value: string, before: string | undefined) =>
      value === IDEM && before !== undefined ? before : value;
    out.push({
      Status: carried(entry.status, previous?.Status),
      MinorStatus: carried(entry.minorStatus, previous?.MinorStatus),
      ApplicationStatus: carried(
        entry.applicationStatus,
        previous ? previous.ApplicationStatus : entry.applicationStatus === IDEM ? 'Unknown' : undefined,
      ),
      StatusTime: entry.time,
      Source: entry.source,
    });
  }
  return out;
}
