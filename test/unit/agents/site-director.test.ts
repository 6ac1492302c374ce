import { describe, expect, it } from 'vitest';
import {
  type CountedTaskQueue,
  elementResourceDescription,
  jobsNeedingPilots,
  pilotsToSubmit,
} from '#shared/agents/site-director-demand.ts';
import { pilotStatusChange } from '#shared/agents/site-director-pilots.ts';
import type { TaskQueueDefinition } from '#shared/taskqueues/definition.ts';
import { computingElementConfig } from '#test/integration/support/computing-elements.ts';

const tq = (vo: string, jobs: number, more: Partial<TaskQueueDefinition> = {}): CountedTaskQueue => ({
  definition: {
    vo,
    owner: 'alice',
    ownerGroup: 'user',
    cpuTime: 86_400,
    sites: [],
    gridCEs: [],
    bannedSites: [],
    platforms: [],
    jobTypes: ['User'],
    tags: [],
    ...more,
  },
  jobs,
});

const element = computingElementConfig({ type: 'Local', maxPilots: 10, processors: 4, memoryMb: 8000 });
const resource = elementResourceDescription('SITE', 'ce', element);

describe('SiteDirector demand (DIRAC Test_Agent_SiteDirector::test_getNumberOfJobsNeedingPilots)', () => {
  const cases: [string, CountedTaskQueue[], number, number][] = [
    ['no task queues', [], 0, 0],
    ['10 jobs of another VO', [tq('other', 10)], 0, 0],
    ['10 jobs of its VO', [tq('dteam', 10)], 0, 10],
    ['8 of its VO and 2 of another', [tq('dteam', 8), tq('other', 2)], 0, 8],
    ['8 + 2 of its VO', [tq('dteam', 8), tq('dteam', 2, { owner: 'bob' })], 0, 10],
    ['10 jobs, 5 waiting pilots', [tq('dteam', 10)], 5, 5],
    ['10 jobs, 10 waiting pilots', [tq('dteam', 10)], 10, 0],
    ['10 jobs, 20 waiting pilots', [tq('dteam', 10)], 20, 0],
  ];
  it.each(cases)('%s', (_, queues, waiting, expected) => {
    expect(jobsNeedingPilots(queues, resource, 'dteam', waiting)).toBe(expected);
  });

  it('counts only jobs a pilot of the element could match, as the matcher decides', () => {
    const queues = [
      tq('dteam', 3),
      tq('dteam', 4, { sites: ['ELSEWHERE'] }),
      tq('dteam', 5, { tags: ['GPU'] }),
      tq('dteam', 6, { tags: ['4Processors', 'MultiProcessor'] }),
      tq('dteam', 7, { tags: ['8Processors'] }),
      tq('dteam', 8, { gridCEs: ['ce'] }),
      tq('dteam', 9, { bannedSites: ['SITE'] }),
    ];
    expect(jobsNeedingPilots(queues, resource, 'dteam', 0)).toBe(3 + 6 + 8);
  });

  it('offers a banned site only Test jobs', () => {
    const queues = [tq('dteam', 3), tq('dteam', 2, { jobTypes: ['Test'] })];
    expect(jobsNeedingPilots(queues, resource, 'dteam', 0, true)).toBe(2);
  });

  it('describes the element as an empty pilot of it: processors, memory, tags, platform', () => {
    const tagged = computingElementConfig({
      type: 'Local',
      processors: 2,
      tags: ['fast'],
      cpuTimeSeconds: 3600,
    });
    const description = elementResourceDescription('SITE', 'ce', tagged);
    expect(description).toMatchObject({ site: 'SITE', gridCEs: ['ce'], cpuTime: 3600 });
    expect(description.tags).toEqual(
      expect.arrayContaining(['fast', '2Processors', 'MultiProcessor', 'WholeNode']),
    );
    expect(jobsNeedingPilots([tq('dteam', 1, { cpuTime: 21_600 })], description, 'dteam', 0)).toBe(0);
  });
});

describe('SiteDirector pilots to submit', () => {
  const base = { maxPilots: 10, maxPilotsPerCycle: 100, availabilityEpsilon: 0.3, waitingPilots: 0 };

  it('submits min(per cycle, slots, demand)', () => {
    expect(pilotsToSubmit({ ...base, slots: 10, demand: 4 })).toBe(4);
    expect(pilotsToSubmit({ ...base, slots: 3, demand: 40 })).toBe(3);
    expect(pilotsToSubmit({ ...base, maxPilots: 1000, slots: 500, demand: 400 })).toBe(100);
    expect(pilotsToSubmit({ ...base, slots: 0, demand: 4 })).toBe(0);
    expect(pilotsToSubmit({ ...base, slots: 5, demand: 0 })).toBe(0);
  });

  it('submits nothing while waiting pilots fill epsilon of maxPilots (DIRAC availability criterion)', () => {
    expect(pilotsToSubmit({ ...base, waitingPilots: 2, slots: 8, demand: 8 })).toBe(8);
    expect(pilotsToSubmit({ ...base, waitingPilots: 3, slots: 7, demand: 8 })).toBe(0);
    expect(pilotsToSubmit({ ...base, availabilityEpsilon: 0.5, waitingPilots: 3, slots: 7, demand: 8 })).toBe(
      7,
    );
    expect(pilotsToSubmit({ ...base, maxPilots: 0, slots: 7, demand: 8 })).toBe(0);
  });
});

describe('SiteDirector pilot status from the computing element', () => {
  const now = Date.parse('2025-01-01T01:00:00Z');
  const record = (status: 'Submitted' | 'Waiting' | 'Running', updatedAt = '2025-01-01T00:59:00Z') => ({
    status,
    updatedAt,
  });

  it('takes the final states of the element whatever the pilot said', () => {
    for (const state of ['Done', 'Failed', 'Aborted'] as const) {
      expect(pilotStatusChange(record('Running'), state, now, 3600)?.status).toBe(state);
      expect(pilotStatusChange(record('Submitted'), state, now, 3600)?.status).toBe(state);
    }
  });

  it('moves Submitted to Waiting, and leaves Running to the pilot itself', () => {
    expect(pilotStatusChange(record('Submitted'), 'Waiting', now, 3600)?.status).toBe('Waiting');
    expect(pilotStatusChange(record('Waiting'), 'Waiting', now, 3600)).toBeUndefined();
    expect(pilotStatusChange(record('Submitted'), 'Running', now, 3600)).toBeUndefined();
    expect(pilotStatusChange(record('Running'), 'Running', now, 3600)).toBeUndefined();
  });

  it('aborts a pilot its element has not known for unknownPilotAbortSeconds', () => {
    expect(pilotStatusChange(record('Submitted'), 'Unknown', now, 3600)).toBeUndefined();
    expect(pilotStatusChange(record('Running', '2024-12-31T23:00:00Z'), 'Unknown', now, 3600)).toMatchObject({
      status: 'Aborted',
    });
  });
});
