/**
 * Following jobs: `status` (DIRAC's dirac-wms-job-status), `search` (DiracX's `dirac jobs search`),
 * `summary` (the counts by column) and `logging` (dirac-wms-job-logging-info). Tables for people,
 * the API's JSON with `--json`.
 */
import type { JobApi, SearchSpec, SortSpec } from '#cli/commands/job-api.ts';
import { CliError } from '#cli/errors.ts';
import { formatRecords, type Output, toJson } from '#cli/format.ts';
import { chunk } from '#shared/concurrency.ts';
import { maxPerPage } from '#shared/jobs/search/query.ts';

export const statusColumns = [
  'JobID',
  'Status',
  'MinorStatus',
  'ApplicationStatus',
  'Site',
  'JobName',
  'LastUpdateTime',
];
/** What `dirac jobs search` shows when no --parameter is given. */
export const searchColumns = [
  'JobID',
  'Status',
  'MinorStatus',
  'ApplicationStatus',
  'JobGroup',
  'Site',
  'JobName',
  'Owner',
  'LastUpdateTime',
];
const loggingColumns = ['Status', 'MinorStatus', 'ApplicationStatus', 'StatusTime', 'Source'];

const print = (out: Output, text: string): void => {
  out.write(`${text}\n`);
};

export async function showStatus(api: JobApi, ids: readonly number[], json: boolean, out: Output) {
  const rows: Record<string, unknown>[] = [];
  // One search per page of ids: the API's largest page.
  for (const slice of chunk(ids, maxPerPage)) {
    const page = await api.search(
      {
        parameters: statusColumns,
        search: [{ parameter: 'JobID', operator: 'in', values: slice }],
        sort: [{ parameter: 'JobID', direction: 'asc' }],
      },
      1,
      slice.length,
    );
    rows.push(...page.rows);
  }
  // No table at all when none was found: only the error below, not an empty line before it.
  if (json || rows.length > 0) print(out, json ? toJson(rows) : formatRecords(out, statusColumns, rows));
  const found = new Set(rows.map((row) => row.JobID));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new CliError(`No job ${missing.join(', ')} (or not one you may see).`);
  }
}

export interface SearchRequest {
  parameters?: string[];
  conditions: SearchSpec[];
  sort: SortSpec[];
  page: number;
  perPage: number;
  json: boolean;
}

export async function searchJobs(
  api: JobApi,
  request: SearchRequest,
  out: Output,
  err: Output = process.stderr,
) {
  const parameters = request.parameters ?? searchColumns;
  const { rows, range } = await api.search(
    { parameters, search: request.conditions, sort: request.sort },
    request.page,
    request.perPage,
  );
  if (rows.length === 0 && range.total !== undefined && range.total > 0) {
    const pages = Math.ceil(range.total / request.perPage);
    throw new CliError(
      `Page ${request.page} is past the end: ${range.total} job(s) match, ${pages} page(s) of ${request.perPage}.`,
    );
  }
  if (request.json) return print(out, toJson(rows));
  if (rows.length === 0) return print(out, 'No jobs found.');
  // The API returns its columns in the table's order; show them in the order they were asked for.
  const columns = parameters.filter((column) => rows.some((row) => column in row));
  const shown = columns.length > 0 ? columns : Object.keys(rows[0] ?? {});
  print(out, formatRecords(out, shown, rows));
  // Content-Range counts from 0; people count from 1. Piped, the rows stay rows alone.
  // A large table's total is not counted (`jobs 0-99/*`): the next page says whether more follow.
  const footer =
    range.total === undefined
      ? `jobs ${range.first + 1}-${range.last + 1} (total not counted; --page ${request.page + 1} for more)`
      : `jobs ${range.first + 1}-${range.last + 1} of ${range.total}`;
  print(out.isTTY ? out : err, footer);
}

export async function showSummary(
  api: JobApi,
  grouping: string[],
  conditions: SearchSpec[],
  json: boolean,
  out: Output,
) {
  const rows = await api.summary(grouping, conditions);
  if (json) return print(out, toJson(rows));
  if (rows.length === 0) return print(out, 'No jobs found.');
  print(out, formatRecords(out, [...grouping, 'count'], rows));
}

export async function showLogging(api: JobApi, jobId: number, json: boolean, out: Output) {
  const job = await api.job(jobId);
  const history = Array.isArray(job.LoggingInfo) ? (job.LoggingInfo as Record<string, unknown>[]) : [];
  print(out, json ? toJson(history) : formatRecords(out, loggingColumns, history));
}
