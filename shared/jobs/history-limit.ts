/**
 * How many rows a job's history keeps of reported statuses. DIRAC's JobLoggingDB is a table of its
 * own and keeps every row; muon keeps the history in the job's own DynamoDB item, which holds at
 * most 400 KB, and a payload may report its ApplicationStatus as often as it likes: without a
 * bound, enough reports made the item too large for any write, so the job could no longer be
 * killed or finish. Reports that keep the major status fill the history up to `maxHistoryRows`,
 * earliest first; rows that move it are added up to `maxHistoryRowsWithMoves` (a payload may
 * report Running and Stalled in turn, so moves alone are not bounded). Past either bound a report
 * still updates the job's statuses, without a row.
 */

import type { JobStatus } from '#shared/jobs/status.ts';
import type { StatusHistoryEntry } from '#shared/jobs/status-updates.ts';

/**
 * Rows before reports stop adding those that keep the major status, and those that move it: at
 * about 500 bytes for a row of the longest statuses (128 and 255 characters), 400 rows stay under
 * 200 KB, half the item.
 */
export const maxHistoryRows = 300;
export const maxHistoryRowsWithMoves = 400;

/** The rows of `added` a report writes after `history`, whose last row left the job in `status`. */
export function rowsWithinLimit(
  history: readonly StatusHistoryEntry[],
  status: JobStatus,
  added: readonly StatusHistoryEntry[],
): StatusHistoryEntry[] {
  let rows = history.length;
  if (rows + added.length <= maxHistoryRows) return [...added];
  let before = status;
  return added.filter((row) => {
    const moves = row.resultingStatus !== before;
    before = row.resultingStatus;
    if (rows >= (moves ? maxHistoryRowsWithMoves : maxHistoryRows)) return false;
    rows += 1;
    return true;
  });
}
