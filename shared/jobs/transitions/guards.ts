/**
 * Conditions a transition adds to its `#status IN (...)`: the facts its decision was made on, so
 * that a decision made on a job that changed since is refused rather than applied to the new job.
 */
import type { Guard } from '#shared/jobs/transitions/write.ts';

/** All of the guards (none: undefined). Their names and values must not clash. */
export function allOf(...guards: readonly (Guard | undefined)[]): Guard | undefined {
  const present = guards.filter((guard): guard is Guard => guard !== undefined);
  if (present.length <= 1) return present[0];
  return {
    expression: present.map((guard) => `(${guard.expression})`).join(' AND '),
    names: Object.assign({}, ...present.map((guard) => guard.names)),
    values: Object.assign({}, ...present.map((guard) => guard.values)),
  };
}

/** The job is exactly as read: its other attributes were computed from it. */
export const sameVersion = (version: number): Guard => ({
  expression: '#gVersion = :gVersion',
  names: { '#gVersion': 'version' },
  values: { ':gVersion': version },
});

/** The job still has the minor status read (an executor's turn is named by it). */
export const sameMinorStatus = (minor: string): Guard => ({
  expression: '#gMinor = :gMinor',
  names: { '#gMinor': 'minorStatus' },
  values: { ':gMinor': minor },
});

/** The job is still held by the pilot read (none: still held by none). */
export const samePilot = (pilotReference: string | undefined): Guard =>
  pilotReference === undefined
    ? { expression: 'attribute_not_exists(#gPilot)', names: { '#gPilot': 'pilotReference' } }
    : {
        expression: '#gPilot = :gPilot',
        names: { '#gPilot': 'pilotReference' },
        values: { ':gPilot': pilotReference },
      };

/**
 * No sign of life since `since` (ISO 8601, as every stored time): no update, heartbeat or start.
 * Stored times are all `toISOString()` spellings, so they compare as strings.
 */
export const quietSince = (since: string): Guard => ({
  expression:
    '#gUpdated < :gSince AND (attribute_not_exists(#gBeat) OR #gBeat < :gSince) AND ' +
    '(attribute_not_exists(#gStart) OR #gStart < :gSince)',
  names: { '#gUpdated': 'lastUpdateTime', '#gBeat': 'heartBeatTime', '#gStart': 'startExecTime' },
  values: { ':gSince': since },
});

/** Not touched (updated, or held by an executor) after `cutoff`. */
export const untouchedSince = (cutoff: string): Guard => ({
  expression: '#gUpdated <= :gCutoff AND (attribute_not_exists(#gHold) OR #gHold <= :gCutoff)',
  names: { '#gUpdated': 'lastUpdateTime', '#gHold': 'holdUntil' },
  values: { ':gCutoff': cutoff },
});

/** Still in the task queue whose entry the matcher read. */
export const inTaskQueue = (tqId: string): Guard => ({
  expression: '#gTq = :gTq',
  names: { '#gTq': 'taskQueueId' },
  values: { ':gTq': tqId },
});

/** Rescheduled fewer than `max` times: the count is compared in the write, so two at once count twice. */
export const rescheduledBelow = (max: number): Guard => ({
  expression: '#gCounter < :gMax',
  names: { '#gCounter': 'rescheduleCounter' },
  values: { ':gMax': max },
});

/** Rescheduled `max` times or more: the limit is reached. */
export const rescheduledAtLeast = (max: number): Guard => ({
  expression: '#gCounter >= :gMax',
  names: { '#gCounter': 'rescheduleCounter' },
  values: { ':gMax': max },
});
