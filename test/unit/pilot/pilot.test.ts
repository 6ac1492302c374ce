import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseComputingElement } from '#pilot/computing-element.ts';
import { startPilot } from '#pilot/pilot.ts';
import { ApiCallError } from '#pilot/retry.ts';
import {
  fakeApi,
  fakeNode,
  fakeWrapper,
  fastPilotConfig,
  matchedJob,
  until,
} from '#test/unit/pilot/pilot-fakes.ts';

const scratch = mkdtempSync(join(tmpdir(), 'muon-pilot-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const config = () => fastPilotConfig(0.3);
const node = fakeNode(4);

describe('Pilot', () => {
  it('fails at start, before taking any job, when a configured hook cannot be loaded', async () => {
    const settings = config();
    settings.pilot = { ...settings.pilot, hooks: { postProcess: 'no/such/module.mjs#postProcess' } };
    const api = fakeApi([matchedJob(1)]);
    const pilot = startPilot({ config: settings, configDir: scratch, api, probe: node });
    await expect(pilot.done).rejects.toThrow(/no\/such\/module\.mjs|Cannot find module/);
    expect(api.calls).not.toContain('register');
    expect(api.requests).toEqual([]);
  });

  it('registers, runs jobs, reports, uploads its log and ends Done when idle', async () => {
    const api = fakeApi([matchedJob(1), matchedJob(2, { minProcessors: 2 })]);
    const wrapper = fakeWrapper({ runMs: 120 });
    const pilot = startPilot({ config: config(), api, startWrapper: wrapper.start, probe: node });
    expect(await pilot.reference).toBe('pilot-fake');
    await pilot.done;

    expect(api.calls[0]).toBe('register');
    expect(api.calls[1]).toBe('status:Running');
    expect(api.calls.slice(-2)).toEqual(['log', 'status:Done']);
    expect(api.pilotStatuses.at(-1)).toEqual({ status: 'Done', reason: 'no work for 0.3 s' });
    expect(api.requests[0]).toMatchObject({
      Site: 'LOCAL.localhost.local',
      GridCE: 'localhost',
      NumberOfProcessors: 4,
      PilotReference: 'pilot-fake',
    });
    expect(wrapper.jobs.get(2)?.context).toMatchObject({ processors: 2, site: 'LOCAL.localhost.local' });
    // Both jobs' updates arrived; heartbeats went out while they ran.
    const sent = api.statusBodies.flatMap((body) => Object.entries(body));
    const minors = (jobId: string) =>
      sent
        .filter(([id]) => id === jobId)
        .flatMap(([, updates]) => Object.values(updates).map((u) => u.MinorStatus));
    expect(minors('1')).toEqual(['Job Initialization', 'Application', 'Execution Complete']);
    expect(minors('2')).toEqual(['Job Initialization', 'Application', 'Execution Complete']);
    expect(api.heartbeatBodies.length).toBeGreaterThan(0);
    const log = api.logs.at(-1)?.toString() ?? '';
    expect(log).toContain('"message":"pilot registered"');
    expect(log).toContain('"message":"pilot ends"');
    // Its temporary work directory is gone.
    const workDir = JSON.parse(log.split('\n')[0] ?? '{}').workDir as string;
    expect(existsSync(workDir)).toBe(false);
  });

  it('keeps a given work directory and its log, and stops after --max-jobs', async () => {
    const api = fakeApi([matchedJob(1), matchedJob(2)]);
    const workDir = join(scratch, 'kept');
    const pilot = startPilot({
      config: config(),
      api,
      startWrapper: fakeWrapper({ runMs: 20 }).start,
      probe: node,
      workDir,
      maxJobs: 1,
      resources: { cores: 1 },
    });
    await pilot.done;
    expect(api.pilotStatuses.at(-1)).toEqual({ status: 'Done', reason: 'it started 1 jobs, its maximum' });
    expect(api.queue).toHaveLength(1);
    expect(readFileSync(join(workDir, 'pilot.log'), 'utf8')).toContain(
      '"reason":"it started 1 jobs, its maximum"',
    );
  });

  it('on stop, gives running jobs the grace period, then interrupts them', async () => {
    const api = fakeApi([matchedJob(1)]);
    const wrapper = fakeWrapper();
    const pilot = startPilot({ config: config(), api, startWrapper: wrapper.start, probe: node });
    await until(() => wrapper.jobs.size === 1);
    await pilot.stop({ reason: 'SIGTERM received' });
    expect(wrapper.jobs.get(1)?.interrupted).toBe('the pilot stopped (SIGTERM received)');
    expect(api.rescheduled).toEqual([1]);
    expect(api.pilotStatuses.at(-1)).toEqual({ status: 'Done', reason: 'SIGTERM received' });
  });

  it('ends Failed when it crashes, interrupting its jobs', async () => {
    const api = fakeApi([matchedJob(1)]);
    const wrapper = fakeWrapper();
    const pilot = startPilot({ config: config(), api, startWrapper: wrapper.start, probe: node });
    await until(() => wrapper.jobs.size === 1);
    api.requestFailure = ApiCallError.answered('POST /api/matcher/request', 400, { detail: 'bad request' });
    wrapper.jobs.get(1)?.finish();
    await expect(pilot.done).rejects.toThrow(/refused the pilot's request/);
    expect(api.pilotStatuses.at(-1)).toMatchObject({
      status: 'Failed',
      reason: expect.stringMatching(/400/),
    });
  });

  it('rejects its reference when it cannot register', async () => {
    const api = fakeApi();
    api.register = async () => {
      throw ApiCallError.answered('POST /api/pilots', 403, { detail: 'not a pilot' });
    };
    const pilot = startPilot({ config: config(), api, probe: node });
    await expect(pilot.reference).rejects.toThrow(/403/);
    await expect(pilot.done).rejects.toThrow(/403/);
  });

  it('runs at the first Local computing element unless told where', () => {
    const settings = config();
    settings.sites['GRID.cern.ch'] = {
      banned: false,
      storageElements: [],
      computingElements: {
        'ce1.cern.ch': {
          type: 'Slurm',
          maxPilots: 1,
          processors: 8,
          tags: [],
          settings: { sbatchOptions: [], command: ['muon'] },
        },
      },
    };
    expect(chooseComputingElement(settings)).toMatchObject({
      site: 'LOCAL.localhost.local',
      gridCE: 'localhost',
    });
    expect(chooseComputingElement(settings, 'GRID.cern.ch')).toMatchObject({ gridCE: 'ce1.cern.ch' });
    expect(chooseComputingElement(settings, undefined, 'ce1.cern.ch')).toMatchObject({
      site: 'GRID.cern.ch',
    });
    expect(() => chooseComputingElement(settings, 'NOWHERE')).toThrow(
      /Site "NOWHERE" is not in the configuration/,
    );
    expect(() => chooseComputingElement(settings, 'GRID.cern.ch', 'x')).toThrow(
      /known: GRID.cern.ch\/ce1.cern.ch/,
    );
  });
});
