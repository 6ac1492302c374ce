/**
 * `npm run bench:e2e`: N trivial JDL jobs (`/bin/true`) through the whole embedded runtime as
 * `npm start` runs it (config/muon.yaml, DynamoDB on disk, the site director starting local
 * pilots), from the first submission to the last job Done. Every API request is counted (the API
 * Gateway emulation logs one `request` line each), so the figure says how many calls one job costs
 * the API: submission, the pilot's match requests, the job wrapper's status reports, heartbeats.
 *
 * Where Slurm is installed (DIRAC's most common batch system), the same N `sbatch --wrap true` run
 * on a single-node cluster started for the run (test/integration/support/slurm.ts), and the line
 * gives the ratio. Variables: BENCH_JOBS (1000), BENCH_CHUNK (jobs per submission request, 500),
 * BENCH_SLURM=0 (skip Slurm), BENCH_TIMEOUT_SECONDS (600).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { api, benchRuntime, countByStatus, machine, percentile, round } from '#bench/support.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import { createLogger } from '#shared/log.ts';
import { startSlurm } from '#test/integration/support/slurm.ts';

const jobs = Number(process.env.BENCH_JOBS ?? 1000);
const chunk = Number(process.env.BENCH_CHUNK ?? 500);
const timeoutMs = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 600) * 1000;
const config = loadConfigFile(process.env.BENCH_CONFIG ?? 'config/muon.yaml');
const vo = Object.keys(config.virtualOrganizations)[0] as string;

const apiCalls = new Map<string, number>();
const runtime = await benchRuntime({
  config,
  pilots: true,
  logger: createLogger({
    level: 'info',
    write: (line) => {
      if (line.includes('"message":"request"')) {
        const route = /"route":"([^"]+)"/.exec(line)?.[1] ?? 'unrouted';
        apiCalls.set(route, (apiCalls.get(route) ?? 0) + 1);
      } else if (line.includes('"level":"error"')) process.stderr.write(`${line}\n`);
    },
  }),
});
const { home } = runtime;

let result: Record<string, unknown>;
try {
  const started = performance.now();
  for (let i = 0; i < jobs; i += chunk) {
    const count = Math.min(chunk, jobs - i);
    await api(
      runtime,
      '/api/jobs/jdl',
      Array.from({ length: count }, (_, j) => `[ Executable = "/bin/true"; JobName = "e2e-${i + j}"; ]`),
    );
  }
  const submittedMs = performance.now() - started;
  let done = 0;
  let failed = 0;
  let lastReport = 0;
  while (done + failed < jobs) {
    if (performance.now() - started > timeoutMs) throw new Error(`only ${done} of ${jobs} Done in time`);
    await new Promise((r) => setTimeout(r, pollMs(done + failed, performance.now() - started)));
    done = await countByStatus(runtime, vo, 'Done');
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      failed = await countByStatus(runtime, vo, 'Failed');
      process.stderr.write(
        `${round((performance.now() - started) / 1000)} s: ${done} Done, ${failed} Failed\n`,
      );
    }
  }
  const seconds = (performance.now() - started) / 1000;
  failed = await countByStatus(runtime, vo, 'Failed');
  const cpu = cpuSeconds(process.pid);
  // The calls of the run, before the sample's own reads below.
  const counted = new Map(apiCalls);
  const phases = await phasesOf(runtime, 20, jobs);
  const calls = [...counted.values()].reduce((a, b) => a + b, 0);
  result = {
    benchmark: 'e2e',
    jobs,
    done,
    failed,
    seconds: round(seconds, 2),
    jobsPerSecond: round(jobs / seconds, 1),
    submitSeconds: round(submittedMs / 1000, 2),
    apiCallsPerJob: round(calls / jobs, 2),
    apiCalls: Object.fromEntries([...counted].sort((a, b) => b[1] - a[1])),
    pilots: runtime.pilots?.started.length ?? 0,
    medianPhaseSeconds: phases,
    cpuSecondsPerJob: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v / jobs, 4)])),
  };
} finally {
  await runtime.cleanup();
}

/**
 * How long to wait before counting again. Each count reads every Done job (a COUNT query still
 * reads the items), in this process and the emulator whose CPU the line reports; polling every
 * 250 ms made the benchmark's own reads about 20 DynamoDB queries per job, more than muon's own
 * calls. So the wait is half the time the rest should take at the rate so far, between 250 ms and
 * 5 s: few counts while most jobs are to come, the end still seen within 250 ms. Failed jobs are
 * counted with the progress line, every 5 s.
 */
function pollMs(ended: number, elapsedMs: number): number {
  const rate = ended / Math.max(elapsedMs, 1);
  const remainingMs = rate > 0 ? (jobs - ended) / rate : Number.POSITIVE_INFINITY;
  return Math.min(5000, Math.max(250, remainingMs / 2));
}

/**
 * CPU seconds used so far by this process (the runtime: API, functions, agents) and by each kind
 * of process under it (the emulator children, the pilots with their job wrappers, payloads), from
 * /proc. Pilots that already ended are not counted; with the default idle stop none has.
 */
function cpuSeconds(root: number): Record<string, number> {
  const tick = 100;
  const totals: Record<string, number> = {
    runtime: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
  };
  const walk = (pid: number) => {
    let children: string[] = [];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean);
    } catch {
      return;
    }
    for (const child of children) {
      try {
        const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const used =
          (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / tick;
        const environ = readFileSync(`/proc/${child}/environ`, 'utf8');
        const kind = /MUON_EMULATORS=([a-z0-9,]+)/.exec(environ)?.[1] ?? 'other';
        // cutime/cstime already hold reaped children (payloads): count each process once.
        totals[kind] = (totals[kind] ?? 0) + used;
        if (kind !== 'other') walk(Number(child));
      } catch {}
    }
  };
  walk(root);
  // Local pilots run detached from the runtime (their own sessions): found by their home.
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(home)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      totals.pilots = (totals.pilots ?? 0) + (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {}
  }
  return totals;
}

/**
 * Where a job's time goes, from the status history of `sample` jobs spread over the run: the
 * median seconds between consecutive statuses (Received→…→Waiting is the executor chain,
 * Waiting→Matched the pickup, Matched→Running the wrapper's start, Running→Done the payload and
 * the wrapper's reports).
 */
async function phasesOf(rt: typeof runtime, sample: number, total: number) {
  const gaps = new Map<string, number[]>();
  for (let k = 0; k < sample; k++) {
    const jobId = 1 + Math.floor((k * total) / sample);
    const response = await fetch(`${rt.apiUrl}/api/jobs/${jobId}`, {
      headers: { authorization: `Bearer ${rt.tokens.user}` },
    });
    if (!response.ok) continue;
    const { LoggingInfo = [] } = (await response.json()) as {
      LoggingInfo?: { Status: string; StatusTime?: string }[];
    };
    // `idem` marks a minor status change under the same status.
    const statuses = LoggingInfo.filter((e) => e.Status !== 'idem');
    const changes = statuses.filter((e, i) => i === 0 || e.Status !== statuses[i - 1]?.Status);
    for (let i = 1; i < changes.length; i++) {
      const a = changes[i - 1] as { Status: string; StatusTime?: string };
      const b = changes[i] as { Status: string; StatusTime?: string };
      const key = `${a.Status}→${b.Status}`;
      gaps.set(key, [
        ...(gaps.get(key) ?? []),
        (Date.parse(b.StatusTime ?? '') - Date.parse(a.StatusTime ?? '')) / 1000,
      ]);
    }
  }
  return Object.fromEntries([...gaps].map(([k, v]) => [k, round(percentile(v, 50), 3)]));
}

if (process.env.BENCH_SLURM !== '0' && spawnSync('which', ['sbatch']).status === 0) {
  const slurm = await startSlurm('muonbench');
  try {
    const started = performance.now();
    for (let i = 0; i < jobs; i++) {
      const run = spawnSync('sbatch', ['--wrap', 'true', '-o', '/dev/null', '--parsable'], {
        env: slurm.env,
      });
      if (run.status !== 0) throw new Error(`sbatch failed: ${run.stderr}`);
    }
    // Finished jobs leave squeue; the cluster is ours alone, so an empty queue means all ended.
    for (;;) {
      const queue = spawnSync('squeue', ['-h', '-o', '%i'], { env: slurm.env, encoding: 'utf8' });
      if (queue.status === 0 && queue.stdout.trim() === '') break;
      if (performance.now() - started > timeoutMs) throw new Error('Slurm jobs did not end in time');
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - started) / 1000;
    result.slurmSeconds = round(seconds, 2);
    result.slurmJobsPerSecond = round(jobs / seconds, 1);
    result.ratioToSlurm = round((result.jobsPerSecond as number) / (jobs / seconds), 1);
  } finally {
    await slurm.stop();
  }
}
result.machine = machine();
process.stdout.write(`${JSON.stringify(result)}\n`);
