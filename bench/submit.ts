/**
 * `npm run bench:submit`: submission and executor-chain figures on the embedded runtime.
 *   (a) jobs accepted per second for one 10,000-job submission;
 *   (b) executor-chain throughput: jobs per second from that submission until all are Waiting;
 *   (c) submission-to-Waiting latency p50/p99 of single jobs submitted at a steady 20 jobs/s.
 * Ends with one JSON line of figures.
 */
import { api, benchRuntime, countByStatus, machine, percentile, round } from '#bench/support.ts';

const bulkJobs = Number(process.env.BENCH_JOBS ?? 10_000);
const steadyRate = Number(process.env.BENCH_RATE ?? 20);
const steadySeconds = Number(process.env.BENCH_SECONDS ?? 30);
const vo = 'vo.example.org';

const runtime = await benchRuntime({ inMemory: process.env.BENCH_IN_MEMORY === '1' });
const countWaiting = () => countByStatus(runtime, vo, 'Waiting');

try {
  // Warm up: one job through the whole chain.
  await api(runtime, '/api/jobs/jdl', ['Executable = "echo"; JobName = "warmup";']);
  while ((await countWaiting()) < 1) await new Promise((r) => setTimeout(r, 50));

  // (a) + (b): one bulk submission.
  const started = performance.now();
  const inserted = (await api(runtime, '/api/jobs/jdl', [
    `Executable = "echo"; Arguments = "%s"; JobName = "bulk_%n"; Parameters = ${bulkJobs};`,
  ])) as unknown[];
  const acceptedMs = performance.now() - started;
  if (inserted.length !== bulkJobs) throw new Error(`expected ${bulkJobs} jobs, got ${inserted.length}`);
  process.stderr.write(`accepted ${bulkJobs} jobs in ${round(acceptedMs)} ms\n`);
  let waiting = 0;
  while (waiting < bulkJobs + 1) {
    await new Promise((r) => setTimeout(r, 250));
    waiting = await countWaiting();
    process.stderr.write(`\rwaiting: ${waiting - 1}/${bulkJobs}`);
  }
  const chainMs = performance.now() - started;
  process.stderr.write('\n');

  // (c): single jobs at a steady rate; latency from the jobs' own history (server clock).
  const ids: number[] = [];
  const total = steadyRate * steadySeconds;
  const begin = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = begin + (i * 1000) / steadyRate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sends.push(
      api(runtime, '/api/jobs/jdl', [`Executable = "echo"; JobName = "steady_${i}";`]).then((body) => {
        ids.push((body as { JobID: number }[])[0]?.JobID as number);
      }),
    );
  }
  await Promise.all(sends);
  const latencies: number[] = [];
  const deadline = Date.now() + 60_000;
  const pending = new Set(ids);
  while (pending.size > 0 && Date.now() < deadline) {
    for (const id of [...pending]) {
      const job = (await fetch(`${runtime.apiUrl}/api/jobs/${id}`, {
        headers: { authorization: `Bearer ${runtime.tokens.user}` },
      }).then((r) => r.json())) as { Status: string; LoggingInfo: { Status: string; StatusTime: string }[] };
      if (job.Status !== 'Waiting') continue;
      const received = job.LoggingInfo.find((h) => h.Status === 'Received');
      const waited = job.LoggingInfo.find((h) => h.Status === 'Waiting');
      if (received && waited) latencies.push(Date.parse(waited.StatusTime) - Date.parse(received.StatusTime));
      pending.delete(id);
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 200));
  }
  if (pending.size > 0) throw new Error(`${pending.size} steady jobs never reached Waiting`);

  const figures = {
    benchmark: 'submit',
    jobs: bulkJobs,
    jobsPerSecond: round(bulkJobs / (acceptedMs / 1000)),
    chainJobsPerSecond: round(bulkJobs / (chainMs / 1000)),
    acceptedMs: round(acceptedMs),
    allWaitingMs: round(chainMs),
    steadyRate,
    steadyJobs: total,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    machine: machine(),
  };
  console.log(JSON.stringify(figures));
} finally {
  await runtime.cleanup();
}
