/**
 * Fair share measured: two groups with shares 3:1, each with a task queue that stays full, and
 * pilots that accept either race for jobs. After the TaskQueues agent has written the priorities,
 * the matched counts come out 3:1 within 10 %.
 *
 * The matcher draws the task queue to try first with probability priority / total, so over N
 * matches group user's fraction has a standard deviation of sqrt(0.75 x 0.25 / N); with N = 3200
 * that is 0.0077, and 3:1 within 10 % (a fraction between 0.730 and 0.767) is more than two of
 * them either side. The matcher's random choices are seeded, so a run can be replayed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recalculateTaskQueues } from '#shared/agents/task-queues.ts';
import { forEachLimited } from '#shared/concurrency.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';
import {
  createWaitingJobs,
  matcherOn,
  openRequirements,
  pilotAt,
  type Requirements,
  seeded,
} from '#test/integration/support/waiting-jobs.ts';

const matches = 3200;

describe('Fair share', () => {
  let runtime: TestRuntime;
  const config = testConfig();

  beforeAll(async () => {
    const vo = config.virtualOrganizations['vo.example.org'];
    if (!vo?.groups.user || !vo.groups.admin) throw new Error('the test config lacks groups user and admin');
    vo.groups.user.share = 3;
    vo.groups.admin.share = 1;
    runtime = await startTestRuntime({ config });
  });
  afterAll(() => runtime?.stop());

  it('gives two groups with shares 3:1 and full queues their jobs 3:1, within 10 %', async () => {
    const jobs = createWaitingJobs(runtime);
    const queue = (owner: string, ownerGroup: string): Requirements =>
      openRequirements({ owner, ownerGroup, tags: ['FairShare'] });
    // More jobs than either group can get, so neither queue runs dry.
    const userJobs = new Set(await jobs.add(queue('alice', 'user'), 3000));
    const adminJobs = new Set(await jobs.add(queue('bob', 'admin'), 1400));
    await recalculateTaskQueues({
      ...runtime.deps,
      dynamo: runtime.aws.dynamo,
      table: runtime.resources.tables.taskQueues as string,
    });

    const matcher = matcherOn(runtime, config, seeded(2026));
    const got = { user: 0, admin: 0 };
    const pilots = Array.from({ length: 16 }, (_, i) => pilotAt(`fair-${i}`, 'LOCAL.localhost.local'));
    let asked = 0;
    await forEachLimited(pilots, pilots.length, async (pilot) => {
      while (asked < matches) {
        asked += 1;
        const answer = await matcher.request(pilot, { CPUTime: 86_400, Tag: ['FairShare'] });
        if (!answer.match) throw new Error(`no match: ${answer.reason}`);
        const jobId = answer.job.JobID as number;
        if (userJobs.has(jobId)) got.user += 1;
        else if (adminJobs.has(jobId)) got.admin += 1;
      }
    });

    expect(got.user + got.admin).toBe(matches);
    const ratio = got.user / got.admin;
    expect(ratio, `user ${got.user} : admin ${got.admin}`).toBeGreaterThanOrEqual(2.7);
    expect(ratio, `user ${got.user} : admin ${got.admin}`).toBeLessThanOrEqual(3.3);
    expect(got.user).toBeLessThan(userJobs.size);
    expect(got.admin).toBeLessThan(adminJobs.size);
  }, 300_000);
});
