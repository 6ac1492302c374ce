import { describe, expect, it } from 'vitest';
import { type ChainDeps, runExecutor } from '#shared/executors/chain.ts';
import type { Executor } from '#shared/executors/executor.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { createLogger } from '#shared/log.ts';
import { job } from '#test/unit/executors/support.ts';

const logger = createLogger({ level: 'error', write: () => undefined });
const continuing: Executor = { name: 'JobSanity', optimize: async () => ({ kind: 'continue' }) };

function fakeChain(initial: JobRecord, conflicts = 0) {
  let current = initial;
  let left = conflicts;
  const sent: [string, readonly number[], number | undefined][] = [];
  // The chain's transitions over the job in memory: a move holds while the job is as read.
  const move =
    (to: JobRecord['status'], minor: (m: { next?: string; reason?: string }) => string) =>
    async (
      j: JobRecord,
      m: {
        executor: string;
        time: string;
        changes?: object;
        next?: string;
        reason?: string;
        detail?: string;
      },
    ) => {
      if (left-- > 0 || current.version !== j.version)
        return { ok: false as const, current: current.status, job: current };
      const minorStatus = minor(m);
      const applicationStatus = to === 'Failed' ? (m.detail ?? m.reason ?? '') : j.applicationStatus;
      current = {
        ...j,
        ...m.changes,
        status: to,
        minorStatus,
        applicationStatus,
        history: [
          ...j.history,
          {
            time: m.time,
            status: to,
            minorStatus,
            applicationStatus,
            source: m.executor,
            resultingStatus: to,
            applied: true,
          },
        ],
        version: j.version + 1,
      } as JobRecord;
      return { ok: true as const, job: current, previous: j.status };
    };
  const deps: ChainDeps = {
    getJob: async () => current,
    transitions: {
      next: move('Checking', (m) => m.next ?? ''),
      waiting: move('Waiting', () => 'Pilot Agent Submission'),
      failed: move('Failed', (m) => m.reason ?? ''),
    },
    updateJob: async (j, changes, history) => {
      if (left-- > 0) return { ok: false, reason: 'conflict' };
      current = {
        ...j,
        ...changes,
        history: [...j.history, ...history],
        version: j.version + 1,
      } as JobRecord;
      return { ok: true, job: current };
    },
    dispatch: async (executor, ids, delay) => void sent.push([executor, ids, delay]),
    now: () => new Date('2026-01-01T00:00:00.000Z'),
  };
  return { deps, sent, job: () => current };
}

describe('Executor chain runner', () => {
  const checking = job(
    {},
    { status: 'Checking', minorStatus: 'JobSanity', chain: ['JobPath', 'JobSanity', 'JobScheduling'] },
  );

  it('moves the job to the next executor and hands it over', async () => {
    const chain = fakeChain(checking);
    await runExecutor(chain.deps, continuing, 7, logger);
    expect(chain.job()).toMatchObject({ status: 'Checking', minorStatus: 'JobScheduling' });
    expect(chain.job().history.at(-1)).toMatchObject({
      status: 'Checking',
      minorStatus: 'JobScheduling',
      source: 'JobSanity',
    });
    expect(chain.sent).toEqual([['JobScheduling', [7], undefined]]);
  });

  it('drops a message for a job that no longer waits for this executor', async () => {
    const chain = fakeChain({ ...checking, status: 'Killed' });
    await runExecutor(chain.deps, continuing, 7, logger);
    expect(chain.sent).toEqual([]);
    expect(chain.job().status).toBe('Killed');
  });

  it('decides again after losing a race on the job', async () => {
    const chain = fakeChain(checking, 2);
    await runExecutor(chain.deps, continuing, 7, logger);
    expect(chain.job().minorStatus).toBe('JobScheduling');
  });

  it('fails the job with the reason as its minor status', async () => {
    const chain = fakeChain(checking);
    const failing: Executor = {
      name: 'JobSanity',
      optimize: async () => ({ kind: 'fail', reason: 'Input sandbox not found', detail: 'x' }),
    };
    await runExecutor(chain.deps, failing, 7, logger);
    expect(chain.job()).toMatchObject({
      status: 'Failed',
      minorStatus: 'Input sandbox not found',
      applicationStatus: 'x',
    });
    expect(chain.sent).toEqual([]);
  });

  it('holds a job by sending it back to itself with a delay', async () => {
    const chain = fakeChain(checking);
    const holding: Executor = {
      name: 'JobSanity',
      optimize: async () => ({ kind: 'hold', seconds: 60, applicationStatus: 'wait' }),
    };
    await runExecutor(chain.deps, holding, 7, logger);
    expect(chain.job()).toMatchObject({
      status: 'Checking',
      applicationStatus: 'wait',
      holdUntil: '2026-01-01T00:01:00.000Z',
    });
    expect(chain.sent).toEqual([['JobSanity', [7], 60]]);
  });
});
