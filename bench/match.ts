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
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backlogChunks, benchQueues, fillOverApi, restartWithItems } from '#bench/match-backlog.ts';
import type { LoadCommand, LoadReport } from '#bench/pilot-load.ts';
import { benchRuntime, countByStatus, machine, percentile, round } from '#bench/support.ts';
import { recalculateTaskQueues } from '#shared/agents/task-queues.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import { getJobs } from '#shared/jobs/store/read-jobs.ts';
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

const queues = benchQueues(vo, sites, tags, queueCount);
/** A pilot at a site offers the tags of that site's task queues and twenty others. */
const pilotTags = new Map(
  sites.map((site, s) => {
    const own = queues.filter((q) => q.definition.sites.includes(site)).flatMap((q) => q.definition.tags);
    const others = Array.from({ length: 20 }, (_, k) => tags[(s * 17 + k * 3) % tagCount] as string);
    return [site, [...new Set([...own, ...others])]];
  }),
);

const fill = process.env.BENCH_FILL ?? (process.env.BENCH_IN_MEMORY === '1' ? 'api' : 'direct');
const loadStart = performance.now();
const runtime = await startWithBacklog();
const loadMs = performance.now() - loadStart;
process.stderr.write(
  `loaded ${totalJobs} jobs in ${queueCount} task queues in ${round(loadMs / 1000)} s (${fill})\n`,
);
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

/**
 * The runtime with the backlog in it. `direct` (the default on disk): a first runtime creates the
 * tables and stops, the items go into dynalite's files (match-backlog.ts), and a second runtime
 * on the same home serves the benchmark; `api`: BatchWriteItem into the one runtime.
 */
async function startWithBacklog() {
  const inMemory = process.env.BENCH_IN_MEMORY === '1';
  if (fill !== 'direct' && fill !== 'api') throw new Error(`BENCH_FILL is direct or api, not ${fill}`);
  if (fill === 'direct' && inMemory) throw new Error('BENCH_FILL=direct needs DynamoDB on disk');
  const now = new Date().toISOString();
  const first = await benchRuntime({ config, inMemory });
  const tables = {
    jobs: first.resources.tables.jobs as string,
    taskQueues: first.resources.tables.taskQueues as string,
  };
  for (const q of queues)
    await ensureTaskQueue(first.aws.dynamo, tables.taskQueues, q.tqId, q.definition, now);
  const chunks = backlogChunks(queues, totalJobs, now);
  if (fill === 'api') {
    await fillOverApi(first.aws.dynamo, tables, chunks);
    return first;
  }
  return restartWithItems(first, config, tables, chunks);
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
    pid: child.pid,
    stop: () => {
      if (child.connected) child.disconnect();
      if (!exited) child.kill();
    },
  };
}

/**
 * CPU seconds used so far by this process (the runtime), by each emulator child (by its
 * MUON_EMULATORS: `dynamodb` is dynalite) and by the pilots' process, from /proc.
 */
function cpuSeconds(pilotsPid: number | undefined): Record<string, number> {
  const used = (pid: number | string) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  const own = process.cpuUsage();
  const totals: Record<string, number> = { runtime: (own.user + own.system) / 1e6 };
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8');
  for (const child of children.trim().split(/\s+/).filter(Boolean)) {
    try {
      const kind =
        Number(child) === pilotsPid
          ? 'pilots'
          : (/MUON_EMULATORS=([a-z0-9,]+)/.exec(readFileSync(`/proc/${child}/environ`, 'utf8'))?.[1] ??
            'other');
      totals[kind] = (totals[kind] ?? 0) + used(child);
    } catch {}
  }
  return totals;
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
  const cpuBefore = cpuSeconds(pilotsProcess.pid);
  const closed = await pilotsProcess.run({ phase: 'closed', pilots, seconds });
  const perMatch = delta(before);
  const cpuAfter = cpuSeconds(pilotsProcess.pid);
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
      // CPU milliseconds per closed-loop match, per process.
      cpuMsPerMatch: Object.fromEntries(
        Object.entries(cpuAfter).map(([kind, total]) => [
          kind,
          round(((total - (cpuBefore[kind] ?? 0)) * 1000) / closedMatches, 2),
        ]),
      ),
      loadSeconds: round(loadMs / 1000),
      agentMs: round(agentMs),
      machine: machine(),
    }),
  );
} finally {
  pilotsProcess.stop();
  await runtime.cleanup();
}
