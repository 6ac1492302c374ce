/** What the StalledJobs agent decides for a Matched job, with and without its pilot's state. */
import { describe, expect, it } from 'vitest';
import { judge, matchedPilotState } from '#shared/agents/stalled-jobs.ts';
import { loadConfigFile } from '#shared/config/load.ts';

const { stalledJobs } = loadConfigFile('config/muon.yaml').agents;
const t0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
const matched = { status: 'Matched' as const, lastUpdateTime: at(0) };

describe('StalledJobs agent, Matched jobs', () => {
  it('reschedules at once a Matched job whose pilot ended: it will never start it', () => {
    expect(judge(matched, stalledJobs, t0 + 1000, 'gone')).toEqual({ act: 'reschedule' });
  });

  it('waits matchedTimeoutSeconds for a Matched job whose pilot lives', () => {
    expect(judge(matched, stalledJobs, t0 + 7200 * 1000, 'alive')).toBeUndefined();
    expect(judge(matched, stalledJobs, t0 + 7201 * 1000, 'alive')).toEqual({ act: 'reschedule' });
  });

  it('calls a Matched job’s pilot gone only when it ended or has no record, not when merely unseen', () => {
    for (const ended of ['Done', 'Failed', 'Aborted'] as const)
      expect(matchedPilotState({ status: ended })).toBe('gone');
    expect(matchedPilotState(undefined)).toBe('gone');
    for (const live of ['Submitted', 'Waiting', 'Running'] as const)
      expect(matchedPilotState({ status: live })).toBe('alive');
  });
});
