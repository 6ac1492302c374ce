/**
 * `muon job kill|delete|reschedule <id...>` (DIRAC's dirac-wms-job-kill, -delete, -reschedule),
 * or `--job-group G` for every job of a group (dirac-wms-job-kill has no such option; DIRAC users
 * select by group with dirac-wms-select-jobs first): one line per job, OK with its new status or
 * the reason it failed; exit code 1 if any failed. A table on a terminal, plain lines piped.
 */
import type { BulkAction, JobApi } from '#cli/commands/job-api.ts';
import { CliError } from '#cli/errors.ts';
import { formatRows, type Output, toJson } from '#cli/format.ts';
import { maxPerPage } from '#shared/jobs/search/query.ts';

/** Every job id of a job group the caller may see, following the search's pages. */
export async function jobIdsOfGroup(api: JobApi, group: string): Promise<number[]> {
  const ids: number[] = [];
  for (let page = 1; ; page += 1) {
    const { rows, range } = await api.search(
      {
        parameters: ['JobID'],
        search: [{ parameter: 'JobGroup', operator: 'eq', value: group }],
        sort: [{ parameter: 'JobID', direction: 'asc' }],
      },
      page,
      maxPerPage,
    );
    ids.push(...rows.map((row) => row.JobID as number));
    // An uncounted total (`*`) comes with a full page only: the next page is read then.
    if (rows.length === 0 || (range.total !== undefined && range.last + 1 >= range.total)) break;
  }
  if (ids.length === 0) throw new CliError(`No job in job group "${group}" (or none you may see).`);
  return ids;
}

export async function controlJobs(
  api: JobApi,
  action: BulkAction,
  ids: readonly number[],
  json: boolean,
  out: Output,
): Promise<void> {
  const { raw, result } = await api.bulk(action, [...ids]);
  const failed = ids.filter((id) => result.failed[id] !== undefined || result.success[id] === undefined);
  if (json) {
    out.write(`${toJson(raw)}\n`);
  } else {
    const rows = ids.map((id) => {
      const success = result.success[id];
      if (success) return [id, 'OK', success.Status];
      return [id, 'Failed', result.failed[id]?.detail ?? 'no answer for this job'];
    });
    out.write(`${formatRows(out, ['JobID', 'Result', 'Detail'], rows)}\n`);
  }
  if (failed.length > 0) process.exitCode = 1;
}
