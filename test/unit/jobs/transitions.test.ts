import { describe, expect, it } from 'vitest';
import type { JobStatus } from '#shared/jobs/status.ts';
import {
  type ApplyStatusResult,
  applyStatusUpdates,
  describeRefusal,
  type JobStatusFields,
  type StatusUpdate,
  statusUpdateSchema,
} from '#shared/jobs/status-updates.ts';
import { ALL, DIRAC_TABLE } from '#test/unit/jobs/dirac-table.ts';

/** Second `s` of a fixed minute, as an ISO string. */
const t = (s: number): string => new Date(Date.UTC(2024, 4, 1, 12, 0, s)).toISOString();

function job(status: JobStatus, extra: Partial<JobStatusFields> = {}): JobStatusFields {
  return { status, minorStatus: 'Unknown', applicationStatus: 'Unknown', lastStatusTime: t(0), ...extra };
}

function update(time: string, fields: Omit<Partial<StatusUpdate>, 'time'> = {}): StatusUpdate {
  return statusUpdateSchema.parse({ time, ...fields });
}

function applied(result: ApplyStatusResult) {
  if (!result.ok) throw new Error(`expected the batch to be applied, got: ${describeRefusal(result.error)}`);
  return result;
}

function refused(result: ApplyStatusResult) {
  if (result.ok) throw new Error(`expected a refusal, the job became ${result.next.status}`);
  return result.error;
}

describe('applyStatusUpdates', () => {
  describe('validates every status change against the table', () => {
    for (const from of ALL) {
      it(`from ${from}`, () => {
        const accepted = ALL.filter((to) => applyStatusUpdates(job(from), [update(t(1), { status: to })]).ok);
        const expected = ALL.filter(
          (to) =>
            to === from ||
            DIRAC_TABLE[from].includes(to) ||
            // DIRAC validates a Stalled job as if it were Running
            (from === 'Stalled' && (to === 'Running' || DIRAC_TABLE.Running.includes(to))),
        );
        expect(accepted).toEqual(expected);
      });
    }
  });

  describe("DIRAC's observed cases (Test_JobDB, Test_JobStatusUtility)", () => {
    it('moves Received to Checking, Checking to Waiting, Waiting to Killed', () => {
      expect(
        applied(applyStatusUpdates(job('Received'), [update(t(1), { status: 'Checking' })])).next.status,
      ).toBe('Checking');
      expect(
        applied(applyStatusUpdates(job('Checking'), [update(t(1), { status: 'Waiting' })])).next.status,
      ).toBe('Waiting');
      expect(
        applied(applyStatusUpdates(job('Waiting'), [update(t(1), { status: 'Killed' })])).next.status,
      ).toBe('Killed');
    });

    it('refuses Checking to Running (DIRAC silently stays Checking)', () => {
      expect(
        refused(applyStatusUpdates(job('Checking'), [update(t(1), { status: 'Running' })])),
      ).toMatchObject({
        from: 'Checking',
        to: 'Running',
      });
    });

    it('refuses Killed to Running, unless forced', () => {
      const request = [update(t(1), { status: 'Running' })];
      expect(refused(applyStatusUpdates(job('Killed'), request)).to).toBe('Running');
      expect(applied(applyStatusUpdates(job('Killed'), request, { force: true })).next.status).toBe(
        'Running',
      );
    });

    it('moves Running to Done, but refuses Done to Completed and Running to Completed', () => {
      expect(
        applied(applyStatusUpdates(job('Running'), [update(t(1), { status: 'Done' })])).next.status,
      ).toBe('Done');
      expect(refused(applyStatusUpdates(job('Done'), [update(t(1), { status: 'Completed' })])).from).toBe(
        'Done',
      );
      expect(refused(applyStatusUpdates(job('Running'), [update(t(1), { status: 'Completed' })])).from).toBe(
        'Running',
      );
    });

    it('bulk from Waiting: {t1: Matched} makes it Matched, {t1: Done} is refused, forced Done is Done', () => {
      expect(
        applied(applyStatusUpdates(job('Waiting'), [update(t(1), { status: 'Matched' })])).next.status,
      ).toBe('Matched');
      expect(refused(applyStatusUpdates(job('Waiting'), [update(t(1), { status: 'Done' })])).to).toBe('Done');
      const forced = applyStatusUpdates(job('Waiting'), [update(t(1), { status: 'Done' })], { force: true });
      expect(applied(forced).next.status).toBe('Done');
    });

    it('bulk from Waiting: {t1: Running, t2: Matched} is refused as a whole (DIRAC keeps Matched)', () => {
      const error = refused(
        applyStatusUpdates(job('Waiting'), [
          update(t(1), { status: 'Running' }),
          update(t(2), { status: 'Matched' }),
        ]),
      );
      expect(error).toEqual({ current: 'Waiting', from: 'Waiting', to: 'Running', time: t(1) });
    });

    it('bulk from Waiting: Matched, minor, Running with app, minor "Application" ends Running/Application/app', () => {
      const result = applied(
        applyStatusUpdates(job('Waiting'), [
          update(t(1), { status: 'Matched' }),
          update(t(2), { minorStatus: 'Job Received by Agent' }),
          update(t(3), { status: 'Running', applicationStatus: 'Starting' }),
          update(t(4), { minorStatus: 'Application' }),
        ]),
      );
      expect(result.next).toMatchObject({
        status: 'Running',
        minorStatus: 'Application',
        applicationStatus: 'Starting',
      });
    });
  });

  describe('refuses a whole batch when one change is illegal', () => {
    it('applies nothing, not even the minor status (DiracX would keep the status and apply the minor)', () => {
      const result = applyStatusUpdates(job('Received'), [
        update(t(1), { minorStatus: 'JobPath' }),
        update(t(2), { status: 'Running', minorStatus: 'Application' }),
      ]);
      expect(result).toEqual({
        ok: false,
        error: { current: 'Received', from: 'Received', to: 'Running', time: t(2) },
      });
    });

    it('validates each step from the status the earlier steps left', () => {
      const error = refused(
        applyStatusUpdates(job('Matched'), [
          update(t(1), { status: 'Running' }),
          update(t(2), { status: 'Matched' }),
        ]),
      );
      expect(error).toEqual({ current: 'Matched', from: 'Running', to: 'Matched', time: t(2) });
    });
  });

  describe('describeRefusal', () => {
    it('names the current status and the statuses it may move to', () => {
      const error = refused(applyStatusUpdates(job('Done'), [update(t(1), { status: 'Running' })]));
      expect(describeRefusal(error)).toBe(
        'Job is Done; it cannot become Running (allowed from Done: Deleted)',
      );
    });

    it('says when earlier updates of the same request led to the refused step', () => {
      const error = refused(
        applyStatusUpdates(job('Running'), [
          update(t(1), { status: 'Done' }),
          update(t(2), { status: 'Running' }),
        ]),
      );
      expect(describeRefusal(error)).toBe(
        'Job is Running; after the earlier updates in this request it would be Done, which cannot become Running ' +
          '(allowed from Done: Deleted)',
      );
    });

    it('lists Running targets for a Stalled job, and none for a Deleted one', () => {
      const stalled = refused(applyStatusUpdates(job('Stalled'), [update(t(1), { status: 'Matched' })]));
      expect(describeRefusal(stalled)).toBe(
        'Job is Stalled; it cannot become Matched ' +
          '(allowed from Stalled: Received, Rescheduled, Running, Completing, Done, Failed, Killed)',
      );
      const deleted = refused(applyStatusUpdates(job('Deleted'), [update(t(1), { status: 'Killed' })]));
      expect(describeRefusal(deleted)).toBe(
        'Job is Deleted; it cannot become Killed (allowed from Deleted: none)',
      );
    });
  });

  describe('orders updates by their own time', () => {
    it('applies unsorted updates in time order and records them in time order', () => {
      const result = applied(
        applyStatusUpdates(job('Matched'), [
          update(t(3), { status: 'Done', minorStatus: 'Execution Complete' }),
          update(t(1), { status: 'Running', minorStatus: 'Job Initialization' }),
          update(t(2), { status: 'Completing', minorStatus: 'Application Finished Successfully' }),
        ]),
      );
      expect(result.next).toMatchObject({
        status: 'Done',
        minorStatus: 'Execution Complete',
        lastStatusTime: t(3),
      });
      expect(result.history.map((entry) => [entry.time, entry.resultingStatus])).toEqual([
        [t(1), 'Running'],
        [t(2), 'Completing'],
        [t(3), 'Done'],
      ]);
    });

    it('keeps the given order for updates at the same time', () => {
      const first = update(t(1), { minorStatus: 'first' });
      const second = update(t(1), { minorStatus: 'second' });
      expect(applied(applyStatusUpdates(job('Running'), [first, second])).next.minorStatus).toBe('second');
      expect(applied(applyStatusUpdates(job('Running'), [second, first])).next.minorStatus).toBe('first');
    });

    it('compares instants, not spellings', () => {
      const result = applied(
        applyStatusUpdates(job('Matched'), [
          update('2024-05-01T14:00:01+02:00', { status: 'Completing' }),
          update('2024-05-01T12:00:00.500Z', { status: 'Running' }),
        ]),
      );
      expect(result.next.status).toBe('Completing');
    });
  });

  describe('takes the last minor and application status given', () => {
    it('keeps a value until a later update replaces it', () => {
      const result = applied(
        applyStatusUpdates(job('Running'), [
          update(t(1), { minorStatus: 'Application', applicationStatus: 'step 1' }),
          update(t(2), { applicationStatus: 'step 2' }),
          update(t(3), { minorStatus: 'Uploading Output Sandbox' }),
        ]),
      );
      expect(result.next).toMatchObject({
        minorStatus: 'Uploading Output Sandbox',
        applicationStatus: 'step 2',
      });
    });

    it('does not advance lastStatusTime for updates without a major status', () => {
      const result = applied(
        applyStatusUpdates(job('Running'), [update(t(5), { minorStatus: 'Application' })]),
      );
      expect(result.next.lastStatusTime).toBe(t(0));
    });
  });

  describe('records stale updates without applying them', () => {
    const done = job('Done', { minorStatus: 'Execution Complete', lastStatusTime: t(10) });

    it('a late Running does not undo Done, and is not refused either', () => {
      const result = applied(
        applyStatusUpdates(done, [
          update(t(5), { status: 'Running', minorStatus: 'Application', applicationStatus: 'x' }),
        ]),
      );
      expect(result.next).toMatchObject({
        status: 'Done',
        minorStatus: 'Execution Complete',
        applicationStatus: 'Unknown',
      });
      expect(result.history).toEqual([
        {
          time: t(5),
          status: 'Running',
          minorStatus: 'Application',
          applicationStatus: 'x',
          source: 'Unknown',
          resultingStatus: 'Done',
          applied: false,
        },
      ]);
    });

    it('applies the updates of the same batch at or after lastStatusTime', () => {
      const result = applied(
        applyStatusUpdates(done, [
          update(t(5), { minorStatus: 'stale' }),
          update(t(10), { applicationStatus: 'at the last time' }),
          update(t(11), { status: 'Deleted', minorStatus: 'Checking accounting' }),
        ]),
      );
      expect(result.next).toMatchObject({
        status: 'Deleted',
        minorStatus: 'Checking accounting',
        applicationStatus: 'at the last time',
        lastStatusTime: t(11),
      });
      expect(result.history.map((entry) => entry.applied)).toEqual([false, true, true]);
    });

    it('applies everything when the job has no status time yet', () => {
      const fresh = job('Received', { lastStatusTime: undefined });
      const result = applied(
        applyStatusUpdates(fresh, [update(t(1), { status: 'Checking', minorStatus: 'JobPath' })]),
      );
      expect(result.next).toMatchObject({ status: 'Checking', lastStatusTime: t(1) });
    });

    it('reports no change when only stale updates arrive from a non-job source', () => {
      const result = applied(
        applyStatusUpdates(done, [
          update(t(5), { status: 'Completing', minorStatus: 'x', source: 'Matcher' }),
        ]),
      );
      expect(result.changed).toBe(false);
      expect(result.next).toEqual(done);
    });
  });

  describe('execution times', () => {
    it('sets startExecTime at the first Running and endExecTime at the first final status', () => {
      const result = applied(
        applyStatusUpdates(job('Matched'), [
          update(t(1), { status: 'Running' }),
          update(t(2), { status: 'Stalled' }),
          update(t(3), { status: 'Running' }),
          update(t(4), { status: 'Failed' }),
          update(t(5), { status: 'Rescheduled' }),
        ]),
      );
      expect(result.next).toMatchObject({ startExecTime: t(1), endExecTime: t(4) });
    });

    it('never overwrites times already set', () => {
      const running = job('Running', { startExecTime: t(0), endExecTime: t(0) });
      const result = applied(
        applyStatusUpdates(running, [update(t(1), { status: 'Running' }), update(t(2), { status: 'Done' })]),
      );
      expect(result.next).toMatchObject({ startExecTime: t(0), endExecTime: t(0) });
    });

    it('counts Killed as final, and a late Running as the start', () => {
      const killed = applied(applyStatusUpdates(job('Waiting'), [update(t(1), { status: 'Killed' })]));
      expect(killed.next.endExecTime).toBe(t(1));
      const done = job('Done', { lastStatusTime: t(10) });
      const late = applied(applyStatusUpdates(done, [update(t(3), { status: 'Running' })]));
      expect(late.next).toMatchObject({ status: 'Done', startExecTime: t(3) });
    });
  });

  describe('heartBeatTime', () => {
    it('takes the time of the newest update from a source starting with "Job"', () => {
      const result = applied(
        applyStatusUpdates(job('Running'), [
          update(t(1), { minorStatus: 'a', source: 'JobWrapper' }),
          update(t(2), { minorStatus: 'b', source: 'Job_123' }),
          update(t(3), { minorStatus: 'c', source: 'Matcher' }),
        ]),
      );
      expect(result.next.heartBeatTime).toBe(t(2));
    });

    it('is not set by other sources and never moves backwards', () => {
      const other = applied(
        applyStatusUpdates(job('Running'), [update(t(1), { minorStatus: 'a', source: 'Watchdog' })]),
      );
      expect(other.next.heartBeatTime).toBeUndefined();
      const recent = job('Running', { heartBeatTime: t(9) });
      const older = applied(
        applyStatusUpdates(recent, [update(t(5), { minorStatus: 'a', source: 'JobWrapper' })]),
      );
      expect(older.next.heartBeatTime).toBe(t(9));
    });
  });

  describe('force', () => {
    it('bypasses the table, even out of Deleted, but not the stale rule', () => {
      const deleted = job('Deleted');
      expect(
        applied(applyStatusUpdates(deleted, [update(t(1), { status: 'Received' })], { force: true })).next
          .status,
      ).toBe('Received');
      const done = job('Done', { lastStatusTime: t(10) });
      const stale = applied(
        applyStatusUpdates(done, [update(t(5), { status: 'Received' })], { force: true }),
      );
      expect(stale.next.status).toBe('Done');
    });
  });

  describe('a Stalled job counts as Running', () => {
    it('may finish, fail or be revived by an update', () => {
      for (const to of ['Done', 'Completing', 'Running', 'Failed'] as const) {
        expect(applied(applyStatusUpdates(job('Stalled'), [update(t(1), { status: to })])).next.status).toBe(
          to,
        );
      }
    });

    it('stays Stalled on an update without a major status', () => {
      const result = applied(
        applyStatusUpdates(job('Stalled'), [update(t(1), { minorStatus: 'Application' })]),
      );
      expect(result.next).toMatchObject({ status: 'Stalled', minorStatus: 'Application' });
    });

    it('also when it became Stalled earlier in the same batch', () => {
      const result = applyStatusUpdates(job('Running'), [
        update(t(1), { status: 'Stalled' }),
        update(t(2), { status: 'Done' }),
      ]);
      expect(applied(result).next.status).toBe('Done');
    });
  });

  describe('the result', () => {
    it('records every update with "idem" for the fields it did not carry', () => {
      const result = applied(
        applyStatusUpdates(job('Matched'), [update(t(1), { status: 'Running', source: 'JobWrapper' })]),
      );
      expect(result.history).toEqual([
        {
          time: t(1),
          status: 'Running',
          minorStatus: 'idem',
          applicationStatus: 'idem',
          source: 'JobWrapper',
          resultingStatus: 'Running',
          applied: true,
        },
      ]);
    });

    it('is unchanged for an empty batch or a repeat of what is stored', () => {
      const running = job('Running', {
        minorStatus: 'Application',
        lastStatusTime: t(1),
        startExecTime: t(1),
      });
      expect(applyStatusUpdates(running, [])).toEqual({
        ok: true,
        next: running,
        history: [],
        changed: false,
      });
      const repeat = applied(
        applyStatusUpdates(running, [update(t(1), { status: 'Running', minorStatus: 'Application' })]),
      );
      expect(repeat.changed).toBe(false);
      expect(repeat.history).toHaveLength(1);
    });

    it('carries only the status fields of the job it was given', () => {
      const record = { ...job('Waiting'), jobId: 7, owner: 'alice' };
      const result = applied(
        applyStatusUpdates(record, [update(t(1), { status: 'Matched', minorStatus: 'Assigned' })]),
      );
      expect(result.changed).toBe(true);
      expect(result.next).toEqual({
        status: 'Matched',
        minorStatus: 'Assigned',
        applicationStatus: 'Unknown',
        lastStatusTime: t(1),
      });
    });
  });
});

describe('statusUpdateSchema', () => {
  const issue = (input: unknown): string => {
    const result = statusUpdateSchema.safeParse(input);
    if (result.success) throw new Error('expected the update to be rejected');
    return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  };

  it('rejects naive timestamps with a message that says why', () => {
    expect(issue({ time: '2024-05-01T12:00:00', status: 'Running' })).toMatch(
      /^time: .*explicit UTC offset.*naive/,
    );
    expect(issue({ time: '2024-05-01 12:00:00Z', status: 'Running' })).toMatch(/^time: /);
    expect(issue({ time: 'yesterday', status: 'Running' })).toMatch(/^time: /);
  });

  it('accepts Z and explicit offsets, stored as UTC with a Z', () => {
    expect(statusUpdateSchema.parse({ time: '2024-05-01T12:00:00+00:00', status: 'Running' }).time).toBe(
      '2024-05-01T12:00:00.000Z',
    );
    expect(statusUpdateSchema.parse({ time: '2024-05-01T14:00:00.250+02:00', minorStatus: 'x' }).time).toBe(
      '2024-05-01T12:00:00.250Z',
    );
  });

  it('defaults the source to "Unknown", as DIRAC does', () => {
    expect(statusUpdateSchema.parse({ time: t(1), minorStatus: 'x' }).source).toBe('Unknown');
  });

  it('accepts only the 16 statuses', () => {
    expect(issue({ time: t(1), status: 'Finished' })).toMatch(/^status: /);
  });

  it("limits strings to DIRAC's column sizes", () => {
    expect(statusUpdateSchema.safeParse({ time: t(1), minorStatus: 'm'.repeat(128) }).success).toBe(true);
    expect(issue({ time: t(1), minorStatus: 'm'.repeat(129) })).toMatch(/^minorStatus: /);
    expect(statusUpdateSchema.safeParse({ time: t(1), applicationStatus: 'a'.repeat(255) }).success).toBe(
      true,
    );
    expect(issue({ time: t(1), applicationStatus: 'a'.repeat(256) })).toMatch(/^applicationStatus: /);
    expect(issue({ time: t(1), minorStatus: 'x', source: 's'.repeat(33) })).toMatch(/^source: /);
  });

  it('rejects an update that carries nothing, and unknown fields', () => {
    expect(issue({ time: t(1), source: 'JobWrapper' })).toMatch(/at least one of status, minorStatus/);
    expect(issue({ time: t(1), Status: 'Running' })).toMatch(/Status/);
  });
});
