/**
 * What a search does once it has the matching jobs, all in memory and pure: order them, cut each
 * into the requested columns, drop duplicate rows (`distinct`) and take one page.
 */
import { type JobColumn, jobColumns } from '#shared/jobs/model.ts';
import type { CompiledSearch, SortKey } from './query.ts';
import type { SearchItem } from './read.ts';

/** A column's value on the wire; an unset column is `null`, as DiracX returns SQL NULL. */
export type WireValue = string | number | null;
export type WireRow = Record<string, WireValue>;

/** One row of a page, with the job it came from (for LoggingInfo). */
export interface PageRow {
  readonly jobId: number;
  readonly row: WireRow;
}

export interface Page {
  readonly rows: readonly PageRow[];
  /** Rows matching the search, over all pages; undefined when not counted (ordered.ts). */
  readonly total: number | undefined;
  /** Zero-based index of the page's first row; `last` is that of its last (first - 1 when empty). */
  readonly first: number;
  readonly last: number;
}

/** SQL's order: unset values first, numbers by value, strings by code unit. */
export function compareValues(a: unknown, b: unknown): number {
  const aMissing = a === undefined || a === null;
  const bMissing = b === undefined || b === null;
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const [x, y] = [String(a), String(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Items ordered by `sort`, then by JobID ascending, so every order is total and repeatable. */
export function sortItems(items: readonly SearchItem[], sort: readonly SortKey[]): SearchItem[] {
  const keys = sort.map(({ column, direction }) => ({
    attribute: jobColumns[column],
    sign: direction === 'desc' ? -1 : 1,
  }));
  return [...items].sort((a, b) => {
    for (const { attribute, sign } of keys) {
      const order = compareValues(a[attribute], b[attribute]);
      if (order !== 0) return sign * order;
    }
    return a.jobId - b.jobId;
  });
}

export function project(item: SearchItem, columns: readonly JobColumn[]): WireRow {
  const row: WireRow = {};
  for (const column of columns) {
    const value = item[jobColumns[column]];
    row[column] = typeof value === 'string' || typeof value === 'number' ? value : null;
  }
  return row;
}

export function arrangePage(
  items: readonly SearchItem[],
  search: Pick<CompiledSearch, 'columns' | 'sort' | 'distinct'>,
  page: number,
  perPage: number,
): Page {
  let rows: PageRow[] = sortItems(items, search.sort).map((item) => ({
    jobId: item.jobId,
    row: project(item, search.columns),
  }));
  if (search.distinct) {
    const seen = new Set<string>();
    rows = rows.filter(({ row }) => {
      const key = JSON.stringify(search.columns.map((column) => row[column]));
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  const first = (page - 1) * perPage;
  const pageRows = rows.slice(first, first + perPage);
  return { rows: pageRows, total: rows.length, first, last: first + pageRows.length - 1 };
}
