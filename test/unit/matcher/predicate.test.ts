/**
 * The task-queue match predicate, case by case from DIRAC's documented semantics
 * (`TaskQueueDB.__generateTQMatchSQL`, research notes §3.6).
 */
import { describe, expect, it } from 'vitest';
import { matchTaskQueue } from '#shared/matcher/predicate.ts';
import type { ResourceDescription } from '#shared/matcher/resource-description.ts';
import type { TaskQueueDefinition } from '#shared/taskqueues/definition.ts';
import { taskQueue } from '#test/unit/matcher/support.ts';

const tq = taskQueue;
const pilot = (over: Partial<ResourceDescription> = {}): ResourceDescription => ({
  site: 'LCG.A.org',
  tags: [],
  requiredTags: [],
  cpuTime: 86_400,
  ...over,
});
const reason = (t: TaskQueueDefinition, r: ResourceDescription) => {
  const verdict = matchTaskQueue(t, r);
  return verdict.match ? 'match' : verdict.reason;
};

describe('the match predicate', () => {
  it('matches a job without requirements with any pilot that has the CPU time', () => {
    expect(reason(tq(), pilot())).toBe('match');
  });

  describe('CPU time', () => {
    it("needs the task queue's bucketed CPU time to be at most the pilot's", () => {
      expect(reason(tq({ cpuTime: 3600 }), pilot({ cpuTime: 3600 }))).toBe('match');
      expect(reason(tq({ cpuTime: 86_400 }), pilot({ cpuTime: 3600 }))).toBe("CPU time 86400 > pilot's 3600");
    });
  });

  describe('sites', () => {
    it('accepts any site when the job names none', () => {
      expect(reason(tq({ sites: [] }), pilot({ site: 'LCG.Z.org' }))).toBe('match');
    });
    it("needs the pilot's site among the job's sites", () => {
      expect(reason(tq({ sites: ['LCG.A.org', 'LCG.B.org'] }), pilot())).toBe('match');
      expect(reason(tq({ sites: ['LCG.B.org'] }), pilot())).toBe(
        "site LCG.A.org is not among the job's sites (LCG.B.org)",
      );
    });
    it('refuses a site the job bans, even when the job names no sites', () => {
      expect(reason(tq({ bannedSites: ['LCG.A.org'] }), pilot())).toBe('the job bans site LCG.A.org');
      expect(reason(tq({ bannedSites: ['LCG.B.org'] }), pilot())).toBe('match');
    });
    it("matches a pilot serving several sites when the job's sites intersect them (DIRAC)", () => {
      const both = pilot({ site: 'LCG.A.org', sites: ['LCG.A.org', 'LCG.C.org'] });
      expect(reason(tq({ sites: ['LCG.C.org', 'LCG.D.org'] }), both)).toBe('match');
      expect(reason(tq({ sites: ['LCG.D.org'] }), both)).toBe(
        "site LCG.A.org, LCG.C.org is not among the job's sites (LCG.D.org)",
      );
      // Banned at one of the pilot's sites the job accepts, not at the other.
      expect(reason(tq({ bannedSites: ['LCG.A.org'] }), both)).toBe('match');
      expect(reason(tq({ sites: ['LCG.A.org'], bannedSites: ['LCG.A.org'] }), both)).toBe(
        'the job bans site LCG.A.org',
      );
    });
    it('puts no site constraint on a pilot whose site is ANY (any spelling)', () => {
      for (const site of ['ANY', 'any', '"Any"'])
        expect(reason(tq({ sites: ['LCG.B.org'], bannedSites: ['LCG.A.org'] }), pilot({ site }))).toBe(
          'match',
        );
    });
  });

  describe('grid CEs, platforms and job types', () => {
    it('are no constraint when the pilot does not send them, sends none or sends ANY', () => {
      const job = tq({ gridCEs: ['ce1'], platforms: ['EL9'], jobTypes: ['MCSimulation'] });
      expect(reason(job, pilot())).toBe('match');
      expect(reason(job, pilot({ gridCEs: [], platforms: [], jobTypes: [] }))).toBe('match');
      expect(reason(job, pilot({ gridCEs: ['ANY'], platforms: ['any'], jobTypes: ['Any'] }))).toBe('match');
    });
    it('accept any value when the job names none', () => {
      const job = tq({ jobTypes: [] });
      expect(reason(job, pilot({ gridCEs: ['ce9'], platforms: ['EL7'], jobTypes: ['Test'] }))).toBe('match');
    });
    it("need one of the pilot's values among the job's", () => {
      const job = tq({ gridCEs: ['ce1'], platforms: ['EL9', 'EL8'], jobTypes: ['User'] });
      expect(reason(job, pilot({ gridCEs: ['ce1'], platforms: ['EL7', 'EL8'], jobTypes: ['User'] }))).toBe(
        'match',
      );
      expect(reason(job, pilot({ gridCEs: ['ce2'] }))).toBe(
        "computing element ce2 is not among the job's (ce1)",
      );
      expect(reason(job, pilot({ platforms: ['EL7'] }))).toBe(
        "platform EL7 is not among the job's (EL9, EL8)",
      );
      expect(reason(job, pilot({ jobTypes: ['Test'] }))).toBe(
        "job type User is not among the pilot's (Test)",
      );
    });
  });

  describe('tags', () => {
    it("need every tag of the job among the pilot's", () => {
      expect(reason(tq({ tags: ['GPU'] }), pilot({ tags: ['GPU', 'MultiProcessor'] }))).toBe('match');
      expect(reason(tq({ tags: ['GPU', '4Processors'] }), pilot({ tags: ['4Processors'] }))).toBe(
        'job needs tag GPU',
      );
    });
    it('let a pilot without tags run only jobs without tags', () => {
      expect(reason(tq({ tags: [] }), pilot({ tags: [] }))).toBe('match');
      expect(reason(tq({ tags: ['GPU'] }), pilot({ tags: [] }))).toBe('job needs tag GPU');
    });
    it('are no constraint for a pilot offering ANY', () => {
      expect(reason(tq({ tags: ['GPU', '16GB'] }), pilot({ tags: ['ANY'] }))).toBe('match');
    });
    it("need the pilot's required tags among the job's", () => {
      const r = pilot({ tags: ['GPU', 'MultiProcessor'], requiredTags: ['GPU'] });
      expect(reason(tq({ tags: ['GPU'] }), r)).toBe('match');
      expect(reason(tq({ tags: [] }), r)).toBe('pilot requires tag GPU, which the job does not ask for');
    });
  });

  describe('owner group', () => {
    it("needs the job's group among the pilot's when the pilot names groups", () => {
      expect(reason(tq(), pilot({ ownerGroups: ['user', 'prod'] }))).toBe('match');
      expect(reason(tq(), pilot({ ownerGroups: ['prod'] }))).toBe(
        "owner group user is not among the pilot's (prod)",
      );
    });
    it('serves every group of the VO when the pilot names none', () => {
      expect(reason(tq({ ownerGroup: 'prod' }), pilot())).toBe('match');
    });
  });

  describe('negative conditions (running limits, matching delays)', () => {
    it('exclude task queues of the excluded job types only', () => {
      const exclusions = [{ jobType: 'User', reason: 'site LCG.A.org runs 5 User jobs, its limit is 5' }];
      expect(matchTaskQueue(tq({ jobTypes: ['User'] }), pilot(), exclusions)).toEqual({
        match: false,
        reason: 'site LCG.A.org runs 5 User jobs, its limit is 5',
      });
      expect(matchTaskQueue(tq({ jobTypes: ['MCSimulation'] }), pilot(), exclusions)).toEqual({
        match: true,
      });
    });
  });
});
