/**
 * How many rows a job's history keeps of reported statuses. DIRAC's JobLoggingDB is a table of its
 * own and keeps every row; muon keeps the history in the job's own DynamoDB item, which holds at
 * most 400 KB, and a payload may report its ApplicationStatus as often as it likes: without a
 * bound, enough reports made the item too large for any write, so the job could no longer be
 * killed or finish. Rows that move the job's major status are always kept (the state machine and
 * MaxRescheduling bound them); the others fill the room left, earliest first, and once it is full
 * a report still updates the job's MinorStatus and ApplicationStatus, without a row.
 */

import type { JobStatus } from '#shared/jobs/status.ts';
import type { StatusHistoryEntry } from '#shared/jobs/status-updates.ts';

/**
 * Rows of a history before reports stop adding those that keep the major status: at about 500
 * bytes for a row of the longest statuses (128 and 255 characters), 300 rows stay under 160 KB.
 */
export const maxHistoryRows = 300;

/** The rows of `added` a report writes after `history`, whose last row left the job in `status`. */
export function rowsWithinLimit(
  history: readonly StatusHistoryEntry[],
  status: JobStatus,
  added: readonly StatusHistoryEntry[],
): StatusHistoryEntry[] {
  let room = maxHistoryRows - history.length;
  if (added.length <= room) return [...added];
  let before = status;
  return added.filter((row) => {
    const moves = row.resultingStatus !== before;
    before = row.resultingStatus;
    if (moves) {
      room -= 1;
      return true;
    }
    if (room <= 0) return false;
    room -= 1;
    return true;
  });
}
