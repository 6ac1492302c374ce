/**
 * `npm run bench:match-instance`: what one matcher instance reads per match, counted for a fixed
 * number of requests rather than a fixed time, so that a loaded machine changes the seconds but
 * not the counts (bench/match.ts's calls per match spread start-up reads over however many matches
 * the machine allowed). The matcher is called in-process (no HTTP, no pilot binding: DIRAC's
 * `Matcher.selectJob` alone) by BENCH_PILOTS concurrent callers (64) for BENCH_REQUESTS requests
 * (3,000), over BENCH_TQS task queues (50) of BENCH_PER_TQ Waiting jobs (200; one in eleven at
 * priority 5, the rest at 1, as bench/match.ts's backlog), on the in-memory runtime. Counts the
 * matcher's own DynamoDB calls: everything on its client except the agents' index queries (the
 * runtime's schedules share the client). Ends with one JSON line.
 */

import { round } from '#bench/support.ts';
import { recalculateTaskQueues } from '#shared/agents/task-queues.ts';
import { startTestRuntime, testConfig } from '#test/integration/support/runtime.ts';
import {
  createWaitingJobs,
  matcherOn,
  openRequirements,
  pilotAt,
  seeded,
} from '#test/integration/support/waiting-jobs.ts';

const queueCount = Number(process.env.BENCH_TQS ?? 50);
const perQueue = Number(process.env.BENCH_PER_TQ ?? 200);
const requests = Number(process.env.BENCH_REQUESTS ?? 3000);
const pilots = Number(process.env.BENCH_PILOTS ?? 64);

const config = testConfig();
const runtime = await startTestRuntime({ config });
try {
  const jobs = createWaitingJobs(runtime);
  const tags = Array.from({ length: queueCount }, (_, i) => `Tag${i}`);
  for (const [i, tag] of tags.entries()) {
    const requirements = openRequirements({ tags: [tag], owner: `user${i}` });
    const high = Math.round(perQueue / 11);
    await jobs.add({ ...requirements, priority: 5 }, high);
    await jobs.add({ ...requirements, priority: 1 }, perQueue - high);
  }
  const taskQueues = runtime.resources.tables.taskQueues as string;
  await recalculateTaskQueues({ ...runtime.deps, dynamo: runtime.aws.dynamo, table: taskQueues });

  const calls: Record<string, { calls: number; items: number }> = {};
  runtime.aws.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { IndexName?: string; TableName?: string };
      // The agents' index queries (byStatus, byState) are not the matcher's; byVo lists task queues.
      if (input.IndexName === undefined || input.IndexName === 'byVo') {
        const name = context.commandName as string;
        const entry = calls[name] ?? { calls: 0, items: 0 };
        calls[name] = entry;
        entry.calls += 1;
        entry.items += (result.output as { Items?: unknown[] }).Items?.length ?? 0;
      }
      return result;
    },
    { step: 'initialize', name: 'benchCountCalls' },
  );

  const matcher = matcherOn(runtime, config, seeded(2026));
  let sent = 0;
  let matched = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: pilots }, async (_, p) => {
      while (sent < requests) {
        sent += 1;
        const pilot = pilotAt(`bench-pilot-${p}`, 'LOCAL.localhost.local', 'localhost');
        const answer = await matcher.request(pilot, { CPUTime: 86_400, Tag: tags });
        if (answer.match) matched += 1;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const per = (name: string) => round((calls[name]?.calls ?? 0) / matched, 3);
  console.log(
    JSON.stringify({
      benchmark: 'match-instance',
      taskQueues: queueCount,
      jobsPerTaskQueue: perQueue,
      requests,
      pilots,
      matched,
      seconds: round((performance.now() - start) / 1000),
      queriesPerMatch: per('QueryCommand'),
      getsPerMatch: per('GetItemCommand'),
      updatesPerMatch: per('UpdateItemCommand'),
      itemsPerQuery: round((calls.QueryCommand?.items ?? 0) / (calls.QueryCommand?.calls || 1), 1),
      calls,
      // The whole process: matcher, in-memory dynalite and the runtime's agents.
      cpuMsPerMatch: round((used.user + used.system) / 1000 / matched, 2),
    }),
  );
} finally {
  await runtime.stop();
}
