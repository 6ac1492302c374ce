/**
 * Job summary (DiracX `POST /api/jobs/summary`): how many of the jobs a caller may see, meeting
 * the conditions, fall in each combination of the grouping columns, e.g. grouping
 * `["Status", "Site"]` gives `[{"Status": "Done", "Site": "LCG.CERN.cern", "count": 12}, ...]`,
 * ordered by the grouping columns. It reads as a search does (same plans, same bound), but only the
 * attributes it groups by, filters on and scopes with. Counting reads every job it counts: DIRAC's
 * JobDB counts with SQL; counters per status kept by each transition would cost a write per
 * transition, which the claim's single conditional write cannot afford.
 */
import type { JobColumn } from '#shared/jobs/model.ts';
import { defaultSearchLimits, readJobs, type SearchLimits, type SearchScope } from './plan.ts';
import {
  compileFilters,
  parseParams,
  resolveColumn,
  type SummaryParams,
  summaryParamsSchema,
} from './query.ts';
import type { JobTables, SearchItem } from './read.ts';
import { compareValues, project, type WireValue } from './rows.ts';

export type SummaryRow = Record<string, WireValue> & { count: number };

export async function summarizeJobs(
  tables: JobTables,
  scope: SearchScope,
  params: SummaryParams,
  limits: SearchLimits = defaultSearchLimits,
): Promise<SummaryRow[]> {
  const parsed = parseParams(summaryParamsSchema, params);
  const grouping = [...new Set(parsed.grouping.map((column) => resolveColumn(column, 'group by')))];
  const { items } = await readJobs(tables, scope, compileFilters(parsed.search), limits, grouping);
  return summarize(items, grouping);
}

/** Counts `items` per combination of `grouping` values, ordered by those values. */
export function summarize(items: readonly SearchItem[], grouping: readonly JobColumn[]): SummaryRow[] {
  const groups = new Map<string, SummaryRow>();
  for (const item of items) {
    const row = project(item, grouping);
    const key = JSON.stringify(grouping.map((column) => row[column]));
    const group = groups.get(key);
    if (group) group.count += 1;
    else groups.set(key, { ...row, count: 1 });
  }
  return [...groups.values()].sort((a, b) => {
    for (const column of grouping) {
      const order = compareValues(a[column], b[column]);
      if (order !== 0) return order;
    }
    return 0;
  });
}
