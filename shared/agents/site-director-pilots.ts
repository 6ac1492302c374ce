/**
 * The site director's watch over the pilots it submitted (DIRAC's SiteDirector pilot monitoring,
 * every PilotStatusUpdateCycleFactor cycles): what a computing element says of a pilot becomes the
 * pilot's record, within rules that keep what the pilot itself reported.
 */
import type { PilotState } from '#shared/ce/index.ts';
import type { PilotRecord, PilotStatus } from '#shared/pilots/model.ts';

export interface StatusChange {
  readonly status: PilotStatus;
  readonly statusReason: string;
}

/**
 * The change a CE's state makes to a record that has not ended, or none:
 * - Done, Failed and Aborted are final: the batch system knows the pilot is gone (killed, out of
 *   time, cancelled), whatever the pilot last said;
 * - Waiting moves a Submitted record on; Running changes nothing (the pilot says Running itself
 *   when it registers, and a registration takes over a Submitted or Waiting record only);
 * - Unknown for longer than `unknownAbortSeconds` since the record last changed: Aborted.
 */
export function pilotStatusChange(
  record: Pick<PilotRecord, 'status' | 'updatedAt'>,
  state: PilotState,
  now: number,
  unknownAbortSeconds: number,
): StatusChange | undefined {
  switch (state) {
    case 'Done':
    case 'Failed':
    case 'Aborted':
      return { status: state, statusReason: `its computing element reports it ${state}` };
    case 'Waiting':
      return record.status === 'Submitted'
        ? { status: 'Waiting', statusReason: 'queued at its computing element' }
        : undefined;
    case 'Unknown':
      return now - Date.parse(record.updatedAt) > unknownAbortSeconds * 1000
        ? {
            status: 'Aborted',
            statusReason: `unknown to its computing element for more than ${unknownAbortSeconds} s`,
          }
        : undefined;
    default:
      return undefined;
  }
}
