/**
 * `muon job kill|delete|reschedule <id...>` (DIRAC's dirac-wms-job-kill, -delete, -reschedule):
 * one line per job, OK with its new status or the reason it failed; exit code 1 if any failed.
 */
import type { BulkAction, JobApi } from '#cli/commands/job-api.ts';
import { formatTable, type Output, tableOptionsFor, toJson } from '#cli/format.ts';

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
    out.write(`${formatTable(['JobID', 'Result', 'Detail'], rows, tableOptionsFor(out))}\n`);
  }
  if (failed.length > 0) process.exitCode = 1;
}
