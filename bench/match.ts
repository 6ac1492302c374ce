/**
 * `npm run bench:match`: the Matcher on the embedded runtime, with 100,000 Waiting jobs in 500
 * task queues (BENCH_JOBS, BENCH_TQS) over 60 sites and 100 tags, loaded straight into DynamoDB.
 * The pilots run in a child process (`bench/pilot-load.ts`), registered with their own credentials
 * as real pilots are, each request named with a RequestID as muon's pilot names it; this process
 * holds the runtime, counts its DynamoDB calls and checks the answers.
 *   (a) matches per second with 64 pilots asking back to back (closed loop);
 *   (b) latency p50/p99 at a steady 100 requests per second (open loop, measured from each
 *       request's scheduled time, so a slow server cannot hide its queueing);
 *   (c) double matches over the whole run, from the answers and from the jobs table;
 *   (d) DynamoDB calls and items per match, counted by a middleware on the runtime's client.
 * Ends with one JSON line of figures. BENCH_JOBS, BENCH_TQS, BENCH_PILOTS, BENCH_SECONDS, BENCH_RATE,
 * BENCH_IN_MEMORY=1; BENCH_REQUEST_ID=0 leaves RequestID out (to compare with muon before it).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadCommand, LoadReport } from '#bench/pilot-load.ts';
import { benchRuntime, countByStatus, machine, percentile, round } from '#bench/support.ts';
import { recalculateTaskQueues } from '#shared/agents/task-queues.ts';
import { chunk, forEachLimited } from '#shared/concurrency.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { jobItem } from '#shared/jobs/store/keys.ts';
import { getJobs } from '#shared/jobs/store/read-jobs.ts';
import { writeBatch } from '#shared/jobs/store/write-jobs.ts';
import { type TaskQueueDefinition, taskQueueId } from '#shared/taskqueues/definition.ts';
import { taskQueueKeys } from '#shared/taskqueues/keys.ts';
import { ensureTaskQueue } from '#shared/taskqueues/store.ts';

const totalJobs = Number(process.env.BENCH_JOBS ?? 100_000);
const queueCount = Number(process.env.BENCH_TQS ?? 500);
const siteCount = 60;
const tagCount = 100;
const pilots = Number(process.env.BENCH_PILOTS ?? 64);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const rate = Number(process.env.BENCH_RATE ?? 100);
const vo = 'vo.example.org';

const sites = Array.from({ length: siteCount }, (_, i) => `BENCH.S${i}.org`);
const tags = Array.from({ length: tagCount }, (_, i) => `Tag${i}`);
const config = loadConfigFile('config/muon.yaml');
// Each site has one computing element, where the benchmark's pilots register.
for (const site of sites) {
  const ce = { type: 'Local' as const, maxPilots: 100, processors: 1, tags: [], settings: {} };
  config.sites[site] = { computingElements: { [`ce.${site}`]: ce }, storageElements: [], banned: false };
}

/** Task queue i: one or two sites (none for every fifth), one or two tags, a CPU-time bucket. */
const queues: { tqId: string; definition: TaskQueueDefinition }[] = Array.from(
  { length: queueCount },
  (_, i) => {
    const definition: TaskQueueDefinition = {
      vo,
      owner: `user${i % 7}`,
      ownerGroup: i % 3 === 0 ? 'admin' : 'user',
      cpuTime: [3600, 21_600, 86_400][i % 3] as number,
      sites:
        i % 5 === 0
          ? []
          : ([...new Set([sites[i % siteCount], sites[(i * 7 + 3) % siteCount]])].sort() as string[]),
      gridCEs: [],
      bannedSites: [],
      platforms: [],
      jobTypes: ['User'],
      tags: [
        ...new Set([tags[i % tagCount], ...(i % 2 === 0 ? [tags[(i * 13 + 5) % tagCount]] : [])]),
      ].sort() as string[],
    };
    return { tqId: taskQueueId(definition), definition };
  },
);
/** A pilot at a site offers the tags of that site's task queues and twenty others. */
const pilotTags = new Map(
  sites.map((site, s) => {
    const own = queues.filter((q) => q.definition.sites.includes(site)).flatMap((q) => q.definition.tags);
    const others = Array.from({ length: 20 }, (_, k) => tags[(s * 17 + k * 3) % tagCount] as string);
    return [site, [...new Set([...own, ...others])]];
  }),
);

const runtime = await benchRuntime({ config, inMemory: process.env.BENCH_IN_MEMORY === '1' });
const calls = new Map<string, { calls: number; items: number }>();
runtime.aws.dynamo.middlewareStack.add(
  (next, context) => async (args) => {
    const result = await next(args);
    const output = result.output as { Count?: number; Items?: unknown[] };
    const entry = calls.get(context.commandName as string) ?? { calls: 0, items: 0 };
    entry.calls += 1;
    const batch = (args.input as { RequestItems?: Record<string, unknown[]> }).RequestItems;
    entry.items +=
      output.Items?.length ?? (batch ? Object.values(batch).reduce((n, r) => n + r.length, 0) : 1);
    calls.set(context.commandName as string, entry);
    return result;
  },
  { step: 'initialize', name: 'benchCountCalls' },
);

async function load() {
  const now = new Date().toISOString();
  for (const q of queues)
    await ensureTaskQueue(
      runtime.aws.dynamo,
      runtime.resources.tables.taskQueues as string,
      q.tqId,
      q.definition,
      now,
    );
  const jobs: JobRecord[] = [];
  const entries: Record<string, unknown>[] = [];
  for (let jobId = 1; jobId <= totalJobs; jobId += 1) {
    // Consecutive ids share a task queue, as the jobs of one bulk submission do.
    const q = queues[Math.floor(((jobId - 1) * queueCount) / totalJobs)] as (typeof queues)[number];
    const priority = jobId % 11 === 0 ? 5 : 1;
    const d = q.definition;
    jobs.push({
      jobId,
      vo,
      owner: d.owner,
      ownerSub: `${vo}:${d.owner}`,
      ownerGroup: d.ownerGroup,
      status: 'Waiting',
      minorStatus: 'Pilot Agent Submission',
      applicationStatus: 'Unknown',
      site: d.sites.length === 1 ? (d.sites[0] as string) : 'Multiple',
      jobName: `bench_${jobId}`,
      jobType: 'User',
      jobGroup: '',
      userPriority: priority,
      submissionTime: now,
      lastUpdateTime: now,
      lastStatusTime: now,
      rescheduleCounter: 0,
      description: {
        kind: 'jdl',
        jdl: `[Executable = "echo"; Arguments = "${jobId}"; JobName = "bench_${jobId}";]`,
        executable: 'echo',
        arguments: String(jobId),
        jobName: `bench_${jobId}`,
        jobType: 'User',
        jobGroup: '',
        priority,
        cpuTime: d.cpuTime,
        sites: d.sites as string[],
        bannedSites: [],
        tags: d.tags as string[],
        minProcessors: 1,
        wholeNode: false,
        gpus: 0,
        inputSandbox: [],
        outputSandbox: ['std.out'],
        inputData: [],
        outputData: [],
        outputSE: [],
      },
      requirements: { ...d, priority },
      taskQueueId: q.tqId,
      parameters: {},
      commands: [],
      history: [
        {
          time: now,
          status: 'Waiting',
          minorStatus: 'Pilot Agent Submission',
          applicationStatus: 'Unknown',
          source: 'JobScheduling',
          resultingStatus: 'Waiting',
          applied: true,
        },
      ],
      version: 1,
    });
    entries.push({
      ...taskQueueKeys.entry(q.tqId, jobId, priority),
      tqId: q.tqId,
      jobId,
      priority,
      enqueuedAt: now,
    });
  }
  // Straight into the table, already Waiting: the benchmark measures matching, not the chain.
  const load = (table: string, items: Record<string, unknown>[]) =>
    forEachLimited(chunk(items, 25), 8, (batch) => writeBatch(runtime.aws.dynamo, table, batch));
  await load(runtime.resources.tables.jobs as string, jobs.map(jobItem));
  await load(runtime.resources.tables.taskQueues as string, entries);
}

/** The pilots' process; `run` sends it one phase and resolves with its report. */
function pilotLoad() {
  const child = fork(fileURLToPath(new URL('./pilot-load.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
  });
  let exited: Error | undefined;
  const waiting = new Set<(error: Error) => void>();
  child.on('exit', (code, signal) => {
    exited = new Error(`pilot load exited (${signal ?? code})`);
    for (const reject of waiting) reject(exited);
  });
  return {
    run: (command: LoadCommand) =>
      new Promise<LoadReport>((resolve, reject) => {
        if (exited) return reject(exited);
        waiting.add(reject);
        child.once('message', (report) => {
          waiting.delete(reject);
          resolve(report as LoadReport);
        });
        child.send(command);
      }),
    stop: () => {
      if (child.connected) child.disconnect();
      if (!exited) child.kill();
    },
  };
}

const snapshot = () => new Map([...calls].map(([k, v]) => [k, { ...v }]));
const delta = (before: Map<string, { calls: number; items: number }>) =>
  Object.fromEntries(
    [...calls].map(([k, v]) => [
      k,
      { calls: v.calls - (before.get(k)?.calls ?? 0), items: v.items - (before.get(k)?.items ?? 0) },
    ]),
  );

const pilotsProcess = pilotLoad();
try {
  await pilotsProcess.run({
    phase: 'setup',
    apiUrl: runtime.apiUrl,
    token: runtime.tokens.pilot,
    resources: sites.map((site) => ({ site, tags: pilotTags.get(site) as string[] })),
  });
  const loadStart = performance.now();
  await load();
  const loadMs = performance.now() - loadStart;
  process.stderr.write(
    `loaded ${totalJobs} jobs in ${queueCount} task queues in ${round(loadMs / 1000)} s\n`,
  );
  const agentStart = performance.now();
  const agentRun = await recalculateTaskQueues({
    ...runtime.deps,
    dynamo: runtime.aws.dynamo,
    table: runtime.resources.tables.taskQueues as string,
  });
  const agentMs = performance.now() - agentStart;
  process.stderr.write(`TaskQueues agent: ${JSON.stringify(agentRun)} in ${round(agentMs)} ms\n`);
  const warmup = await pilotsProcess.run({ phase: 'warmup', requests: 50 });

  // (a) closed loop.
  const before = snapshot();
  const closed = await pilotsProcess.run({ phase: 'closed', pilots, seconds });
  const perMatch = delta(before);
  const closedMatches = closed.matches.length;

  // (b) open loop.
  const open = await pilotsProcess.run({ phase: 'open', rate, seconds });
  pilotsProcess.stop();

  // (c) double matches: from the answers, then from the jobs table.
  const answered = [...warmup.matches, ...closed.matches, ...open.matches];
  const ids = answered.map((a) => a.jobId);
  const doubleInAnswers = ids.length - new Set(ids).size;
  const jobs = await getJobs(runtime.aws.dynamo, runtime.resources.tables.jobs as string, ids);
  const byId = new Map(jobs.map((j) => [j.jobId, j]));
  const wrongPilot = answered.filter(
    (a) => byId.get(a.jobId)?.parameters.Pilot_Reference !== a.reference,
  ).length;
  const matchedInTable = await countByStatus(runtime, vo, 'Matched');

  const count = (names: string[], field: 'calls' | 'items') =>
    names.reduce((acc, name) => acc + (perMatch[name]?.[field] ?? 0), 0);
  const reads = ['QueryCommand', 'GetItemCommand', 'BatchGetItemCommand'];
  const writes = ['UpdateItemCommand', 'DeleteItemCommand', 'PutItemCommand', 'BatchWriteItemCommand'];
  console.log(
    JSON.stringify({
      benchmark: 'match',
      jobs: totalJobs,
      taskQueues: queueCount,
      sites: siteCount,
      tags: tagCount,
      pilots,
      seconds,
      loadGenerator: 'child process',
      closedLoopRequests: closed.latencies.length,
      // Answers other than 200 (a loaded machine's timeouts): a run with any is not a valid figure.
      failedRequests: warmup.failed + closed.failed + open.failed,
      closedLoopMatches: closedMatches,
      matchesPerSecond: round(closedMatches / closed.seconds),
      requestsPerSecond: round(closed.latencies.length / closed.seconds),
      closedLoopP50Ms: round(percentile(closed.latencies, 50)),
      openLoopRate: rate,
      openLoopRequests: open.latencies.length,
      p50Ms: round(percentile(open.latencies, 50)),
      p99Ms: round(percentile(open.latencies, 99)),
      doubleMatches: doubleInAnswers + wrongPilot,
      matchedAnswers: ids.length,
      matchedInJobsTable: matchedInTable,
      dynamoReadsPerMatch: round(count(reads, 'calls') / closedMatches, 2),
      dynamoWritesPerMatch: round(count(writes, 'calls') / closedMatches, 2),
      dynamoItemsReadPerMatch: round(count(reads, 'items') / closedMatches, 2),
      dynamoCalls: perMatch,
      loadSeconds: round(loadMs / 1000),
      agentMs: round(agentMs),
      machine: machine(),
    }),
  );
} finally {
  pilotsProcess.stop();
  await runtime.cleanup();
}
