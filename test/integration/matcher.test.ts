/**
 * The Matcher over HTTP on the embedded runtime: pilots ask for jobs at the site and computing
 * element they registered with, jobs become Matched exactly once, and owners can ask why a job waits.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskQueueKeys } from '#shared/taskqueues/keys.ts';
import { getJob, submitWaiting } from '#test/integration/support/jobs.ts';
import { asPilot, type RegisteredPilot, registerPilot } from '#test/integration/support/pilots.ts';
import { bodyOf, startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

type Answer = { match: boolean; reason?: string; job?: Record<string, unknown> };

describe('Matcher', () => {
  let runtime: TestRuntime;
  let pilot: RegisteredPilot;
  /** One registered pilot per site and computing element, made on first use. */
  const pilots = new Map<string, Promise<RegisteredPilot>>();
  const at = (site: string, gridCE: string) => {
    const key = `${site}/${gridCE}`;
    if (!pilots.has(key)) pilots.set(key, registerPilot(runtime, { site, gridCE }));
    return pilots.get(key) as Promise<RegisteredPilot>;
  };
  const ask = async (
    description: Record<string, unknown>,
    as: RegisteredPilot | 'user' | 'admin' = pilot,
  ) => {
    const response = await runtime.api('/api/matcher/request', {
      method: 'POST',
      json: description,
      ...(as === 'user' || as === 'admin' ? { as } : asPilot(as)),
    });
    return { status: response.status, body: (await response.json()) as Answer & { detail?: string } };
  };
  const waiting = (jdl: string, count = 1) => submitWaiting(runtime, jdl, count);
  const entriesOf = async (tqId: string) => {
    let count = 0;
    for (let shard = 0; shard < 8; shard += 1) {
      const page = await runtime.aws.dynamo.send(
        new QueryCommand({
          TableName: runtime.resources.tables.taskQueues,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': taskQueueKeys.shard(tqId, shard) },
          ConsistentRead: true,
        }),
      );
      count += page.Items?.length ?? 0;
    }
    return count;
  };

  beforeAll(async () => {
    const config = testConfig();
    const ce = config.sites['LOCAL.localhost.local']?.computingElements.localhost;
    if (!ce) throw new Error('the test config lacks the localhost computing element');
    // Pilots register at declared computing elements only; these never start pilots here.
    const elements = (...names: string[]) => Object.fromEntries(names.map((name) => [name, ce]));
    const site = (banned: boolean, ...names: string[]) => ({
      computingElements: elements(...names),
      storageElements: [],
      banned,
    });
    config.sites['LCG.A.org'] = site(false, 'ce.a.org', 'ce.a2.org');
    config.sites['LCG.B.org'] = site(false, 'ce.b.org');
    config.sites['LCG.C.org'] = site(false, 'ce.c.org');
    config.sites['LCG.Race.org'] = site(false, 'ce.race.org');
    config.sites['LCG.Explain.org'] = site(false, 'ce.short.org', 'ce.ok.org');
    config.sites['LCG.Banned.org'] = site(true, 'ce.banned.org');
    config.sites['LCG.Drain.org'] = site(false, 'ce.drain.org');
    config.sites['LCG.Forms.org'] = site(false, 'ce.forms.org');
    config.matcher.taskQueueCacheSeconds = 0.05;
    config.matcher.pilotReportSeconds = 0.05;
    runtime = await startTestRuntime({ config });
    pilot = await registerPilot(runtime, { reference: 'pilot-1', site: 'LCG.A.org', gridCE: 'ce.a.org' });
  });
  afterAll(() => runtime?.stop());

  it('hands a waiting job to a pilot, which finds it Matched at its site with the Matcher in its history', async () => {
    const [jobId] = await waiting(
      'Executable = "echo"; Arguments = "hi"; JobName = "m1"; Site = "LCG.A.org"; Tags = {"Alpha"};',
    );
    const answer = await ask({
      Site: 'LCG.A.org',
      GridCE: 'ce.a.org',
      CPUTime: 86_400,
      Tag: ['Alpha'],
      PilotReference: 'pilot-1',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.match).toBe(true);
    expect(answer.body.job).toMatchObject({
      JobID: jobId,
      Owner: 'alice',
      OwnerGroup: 'user',
      VO: 'vo.example.org',
      Executable: 'echo',
      Arguments: 'hi',
      Site: 'LCG.A.org',
      PilotReference: 'pilot-1',
    });
    expect(answer.body.job?.JDL).toMatch(/Executable/);
    const job = (await getJob(runtime, jobId as number)).body;
    expect(job).toMatchObject({
      Status: 'Matched',
      MinorStatus: 'Assigned',
      ApplicationStatus: 'Unknown',
      Site: 'LCG.A.org',
    });
    expect((job.Parameters as Record<string, unknown>).Pilot_Reference).toBe('pilot-1');
    const last = (job.LoggingInfo as Record<string, unknown>[]).at(-1);
    expect(last).toMatchObject({ Status: 'Matched', MinorStatus: 'Assigned', Source: 'Matcher' });
    // The entry goes in a batch after the answer (shared/matcher/entry-removals.ts).
    await expect.poll(() => entriesOf(job.TaskQueueID as string), { timeout: 2_000 }).toBe(0);
  });

  it('answers no match with the reason when nothing fits, without an error', async () => {
    await waiting(
      'Executable = "echo"; JobName = "m2"; Site = "LCG.B.org"; Tags = {"Beta"}; CPUTime = 50000;',
    );
    const atB = await at('LCG.B.org', 'ce.b.org');
    const none = await ask({ Site: 'LCG.B.org', CPUTime: 86_400, Tag: [] }, atB);
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ match: false });
    expect(none.body.reason).toMatch(/job needs tag Beta/);
    const short = await ask({ Site: 'LCG.B.org', CPUTime: 3600, Tag: ['Beta'] }, atB);
    expect(short.body.reason).toMatch(/CPU time 86400 > pilot's 3600/);
    const elsewhere = await ask(
      { Site: 'LCG.C.org', CPUTime: 86_400, Tag: ['Beta'] },
      await at('LCG.C.org', 'ce.c.org'),
    );
    expect(elsewhere.body.reason).toMatch(/site LCG.C.org is not among the job's sites/);
    const matched = await ask({ Site: 'LCG.B.org', CPUTime: 86_400, Tag: "['Beta']" }, atB);
    expect(matched.body.match).toBe(true);
  });

  it('refuses non-pilots and administrators with 403 and contradictory descriptions with 422', async () => {
    expect((await ask({ Site: 'LCG.A.org', CPUTime: 10 }, 'user')).status).toBe(403);
    // Only a registered pilot matches, never an administrator (test/unit/matcher/site-binding.test.ts).
    expect((await ask({ Site: 'LCG.A.org', CPUTime: 10 }, 'admin')).status).toBe(403);
    const required = await ask({ Site: 'LCG.A.org', CPUTime: 10, Tag: ['GPU'], RequiredTag: ['Big'] });
    expect(required.status).toBe(422);
    expect(required.body.detail).toMatch(/RequiredTag Big is not among the pilot's tags/);
    const negative = await ask({ Site: 'LCG.A.org', CPUTime: -5 });
    expect(negative.status).toBe(422);
    expect(negative.body.detail).toMatch(/CPUTime/);
    expect((await ask({ Site: 'LCG.A.org', CPUTime: 5, OwnerGroup: 'nobody' })).status).toBe(422);
  });

  it('matches at the Site and GridCE the pilot registered with, and refuses any other with 403', async () => {
    const [jobId] = await waiting(
      'Executable = "echo"; JobName = "where"; Site = "LCG.A.org"; Tags = {"Where"};',
    );
    const elsewhere = await ask({ Site: 'LCG.B.org', CPUTime: 86_400, Tag: ['Where'] });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.detail).toBe(
      'Pilot pilot-1 registered at Site LCG.A.org, GridCE ce.a.org; it asked for Site LCG.B.org, GridCE ce.a.org. A pilot matches only where it registered: leave Site and GridCE out, or name those.',
    );
    const otherCe = await ask({ Site: 'LCG.A.org', GridCE: 'ce.a2.org', CPUTime: 86_400, Tag: ['Where'] });
    expect(otherCe.status).toBe(403);
    expect(otherCe.body.detail).toMatch(
      /GridCE ce\.a\.org; it asked for Site LCG\.A\.org, GridCE ce\.a2\.org/,
    );
    // A banned site cannot shed its ban by claiming a site the job accepts.
    const banned = await ask(
      { Site: 'LCG.A.org', CPUTime: 86_400, Tag: ['Where'] },
      await at('LCG.Banned.org', 'ce.banned.org'),
    );
    expect(banned.status).toBe(403);

    const answer = await ask({ CPUTime: 86_400, Tag: ['Where'] });
    expect(answer.status).toBe(200);
    expect(answer.body.job).toMatchObject({ JobID: jobId, Site: 'LCG.A.org' });
  });

  it('takes DIRAC\'s resource forms: lists, ANY and Tag "", within the registration', async () => {
    const forms = await at('LCG.Forms.org', 'ce.forms.org');
    const [plain] = await waiting('Executable = "echo"; JobName = "forms"; Site = "LCG.Forms.org";');
    const [tagged] = await waiting(
      'Executable = "echo"; JobName = "forms"; Sites = {"LCG.Forms.org", "LCG.C.org"}; Tags = {"Forms"};',
    );
    // Tag "" offers no tags: only the job without tags matches.
    const first = await ask(
      { Site: ['LCG.Forms.org', 'ANY'], GridCE: 'ANY', Platform: ['el9', 'ANY'], Tag: '', CPUTime: 86_400 },
      forms,
    );
    expect(first.body).toMatchObject({ match: true, job: { JobID: plain, Site: 'LCG.Forms.org' } });
    const second = await ask({ Site: "['LCG.Forms.org']", Tag: 'Forms', CPUTime: 86_400 }, forms);
    expect(second.body).toMatchObject({ match: true, job: { JobID: tagged } });

    const refused = async (body: Record<string, unknown>) => {
      const answer = await ask({ CPUTime: 86_400, ...body }, forms);
      return { status: answer.status, detail: answer.body.detail };
    };
    expect(await refused({ Site: [] })).toEqual({
      status: 422,
      detail: 'Site is an empty list: name at least one value, or "ANY", or leave Site out.',
    });
    expect(await refused({ Platform: '' })).toMatchObject({ status: 422 });
    expect(await refused({ Site: 'LCG.Nowhere.org' })).toEqual({
      status: 400,
      detail: `Site "LCG.Nowhere.org" is not a declared site; pilot ${forms.reference} registered at LCG.Forms.org: leave Site out or name LCG.Forms.org.`,
    });
    expect(await refused({ Site: ['LCG.Forms.org', 'LCG.C.org'] })).toMatchObject({
      status: 403,
      detail: expect.stringMatching(/it asked for Site LCG\.Forms\.org, LCG\.C\.org, GridCE ce\.forms\.org/),
    });
    const nothing = await ask({ Tag: '', Platform: 'el9', CPUTime: 86_400 }, forms);
    expect(nothing).toMatchObject({ status: 200, body: { match: false } });
  });

  it('gives a banned site only Test jobs and says so', async () => {
    await waiting('Executable = "echo"; JobName = "m3"; Tags = {"BannedOnly"};');
    const banned = await at('LCG.Banned.org', 'ce.banned.org');
    const answer = await ask({ Site: 'LCG.Banned.org', CPUTime: 86_400, Tag: ['BannedOnly'] }, banned);
    expect(answer.status).toBe(200);
    expect(answer.body.match).toBe(false);
    expect(answer.body.reason).toMatch(/LCG.Banned.org is banned, so it only gets Test jobs/);
    const [testJob] = await waiting(
      'Executable = "echo"; JobName = "m3t"; JobType = "Test"; Tags = {"BannedOnly"};',
    );
    const test = await ask({ Site: 'LCG.Banned.org', CPUTime: 86_400, Tag: ['BannedOnly'] }, banned);
    expect(test.body.job?.JobID).toBe(testJob);
  });

  it('no longer matches a waiting job once it is killed', async () => {
    const [jobId] = await waiting('Executable = "echo"; JobName = "m4"; Tags = {"Killed"};');
    const killed = await runtime.api('/api/jobs/kill', { method: 'POST', json: { job_ids: [jobId] } });
    expect(killed.status).toBe(200);
    const answer = await ask({ Site: 'LCG.A.org', CPUTime: 86_400, Tag: ['Killed'] });
    expect(answer.body.match).toBe(false);
  });

  it('lets a pilot ask for one job by id', async () => {
    const [first, second] = await waiting('Executable = "echo"; JobName = "m5"; Tags = {"ById"};', 2);
    const answer = await ask({ Site: 'LCG.A.org', CPUTime: 86_400, Tag: ['ById'], JobID: second });
    expect(answer.body.job?.JobID).toBe(second);
    const again = await ask({ Site: 'LCG.A.org', CPUTime: 86_400, Tag: ['ById'], JobID: second });
    expect(again.body.reason).toBe(`job ${second} is Matched, not Waiting`);
    expect((await ask({ Site: 'LCG.A.org', CPUTime: 86_400, Tag: ['ById'] })).body.job?.JobID).toBe(first);
  });

  it('never hands one job to two pilots: 40 pilots race for 10 jobs', async () => {
    const ids = await waiting(
      'Executable = "echo"; JobName = "race"; Site = "LCG.Race.org"; Tags = {"Race"};',
      10,
    );
    const racers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        registerPilot(runtime, { reference: `racer-${i}`, site: 'LCG.Race.org', gridCE: 'ce.race.org' }),
      ),
    );
    const answers = await Promise.all(
      racers.map((racer) => ask({ Site: 'LCG.Race.org', CPUTime: 86_400, Tag: ['Race'] }, racer)),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const matched = answers.filter((a) => a.body.match).map((a) => a.body.job?.JobID as number);
    // A pilot that loses a race tries the next entry: all ten jobs go out in this one round.
    expect(new Set(matched).size).toBe(matched.length);
    expect([...matched].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    for (const refused of answers.filter((a) => !a.body.match))
      expect(refused.body.reason).toBe('the 1 matching task queue(s) have no waiting job left');
    for (const id of ids) {
      const job = (await getJob(runtime, id)).body;
      expect(job.Status).toBe('Matched');
      expect((job.LoggingInfo as { Status: string }[]).filter((h) => h.Status === 'Matched')).toHaveLength(1);
    }
  });

  it('finds a waiting job behind ten drained task queues, in a new task queue or a drained one', async () => {
    const drainer = await at('LCG.Drain.org', 'ce.drain.org');
    const tags = Array.from({ length: 16 }, (_, i) => `Drained${i}`);
    const jdl = (tag: string) =>
      `Executable = "echo"; JobName = "drain"; Site = "LCG.Drain.org"; Tags = {"${tag}"};`;
    for (const tag of tags.slice(0, 10)) {
      const [jobId] = await waiting(jdl(tag));
      expect((await ask({ CPUTime: 86_400, Tag: [tag] }, drainer)).body.job?.JobID).toBe(jobId);
    }
    // One job at a time, each in a task queue of its own, then in drained ones; the pilot offers
    // every tag, so all the drained task queues are candidates each time.
    for (const tag of [...tags.slice(10), 'Drained3', 'Drained7']) {
      const [jobId] = await waiting(jdl(tag));
      const answer = await ask({ CPUTime: 86_400, Tag: tags }, drainer);
      expect(answer.body).toMatchObject({ match: true, job: { JobID: jobId } });
    }
    const none = await ask({ CPUTime: 86_400, Tag: tags }, drainer);
    expect(none.body).toEqual({ match: false, reason: expect.stringMatching(/no waiting job left/) });
  });

  it('explains which recently seen pilots would match a waiting job and why the others do not', async () => {
    const [jobId] = await waiting(
      'Executable = "echo"; JobName = "why"; Site = "LCG.Explain.org"; Tags = {"Why"}; CPUTime = 50000;',
    );
    const ok = await at('LCG.Explain.org', 'ce.ok.org');
    await ask({ Site: 'LCG.A.org', GridCE: 'ce.a.org', CPUTime: 86_400, Tag: ['Why'], JobID: 1 });
    await ask(
      { Site: 'LCG.Explain.org', GridCE: 'ce.short.org', CPUTime: 3600, Tag: ['Why'], JobID: 1 },
      await at('LCG.Explain.org', 'ce.short.org'),
    );
    await ask({ Site: 'LCG.Explain.org', GridCE: 'ce.ok.org', CPUTime: 86_400, Tag: ['Why'], JobID: 1 }, ok);
    const response = await runtime.api(`/api/jobs/${jobId}/matching`);
    expect(response.status).toBe(200);
    const body = await bodyOf(response);
    expect(body).toMatchObject({ JobID: jobId, Status: 'Waiting', Waiting: true });
    expect(body.Matching).toEqual([
      expect.objectContaining({ Site: 'LCG.Explain.org', GridCE: 'ce.ok.org' }),
    ]);
    const reasons = Object.fromEntries(
      (body.NotMatching as { GridCE: string; Reason: string }[]).map((p) => [p.GridCE, p.Reason]),
    );
    expect(reasons['ce.a.org']).toMatch(/site LCG.A.org is not among the job's sites \(LCG.Explain.org\)/);
    expect(reasons['ce.short.org']).toBe("CPU time 86400 > pilot's 3600");

    await ask({ Site: 'LCG.Explain.org', CPUTime: 86_400, Tag: ['Why'], JobID: jobId }, ok);
    const after = await bodyOf(await runtime.api(`/api/jobs/${jobId}/matching`));
    expect(after).toMatchObject({ Status: 'Matched', Waiting: false });
    expect((await runtime.api(`/api/jobs/${jobId}/matching`, { as: 'pilot' })).status).toBe(403);
  });
});
