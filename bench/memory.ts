/**
 * `npm run bench:memory`: the embedded runtime's memory under a steady stream of trivial jobs and
 * then idle (issue 15 item 5: the DynamoDB emulator grew to 1.91 GB). It runs as `npm start` does
 * (config/muon.yaml, DynamoDB on disk, local pilots), keeps about BENCH_BACKLOG jobs (300) not yet
 * matched for BENCH_MINUTES (25), or until BENCH_JOBS were submitted and are Done, then submits
 * nothing for BENCH_IDLE_MINUTES (5). Every BENCH_SAMPLE_SECONDS
 * (30) it records the resident memory (VmRSS) of the runtime process, of each emulator child and
 * of the local pilots together, with the jobs Done so far. Ends with one JSON line: the samples,
 * the peak of each process and its last idle figure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { api, benchRuntime, countByStatus, machine, round } from '#bench/support.ts';
import { loadConfigFile } from '#shared/config/load.ts';

const minutes = Number(process.env.BENCH_MINUTES ?? 25);
const idleMinutes = Number(process.env.BENCH_IDLE_MINUTES ?? 5);
const sampleMs = Number(process.env.BENCH_SAMPLE_SECONDS ?? 30) * 1000;
const backlog = Number(process.env.BENCH_BACKLOG ?? 300);
const target = Number(process.env.BENCH_JOBS ?? Number.POSITIVE_INFINITY);
const config = loadConfigFile(process.env.BENCH_CONFIG ?? 'config/muon.yaml');
const vo = Object.keys(config.virtualOrganizations)[0] as string;

const runtime = await benchRuntime({ config, pilots: true });
const { home } = runtime;

/** VmRSS in MB of the runtime, its emulator children (by their MUON_EMULATORS) and the pilots. */
function rss(): Record<string, number> {
  const read = (pid: string) => {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return line ? Number(line[1]) / 1024 : 0;
  };
  const figures: Record<string, number> = { runtime: read(String(process.pid)) };
  let pilots = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      const emulators = /MUON_EMULATORS=([a-z0-9,]+)/.exec(environ)?.[1];
      const ppid = /PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (emulators && ppid === String(process.pid)) figures[emulators] = read(pid);
      else if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(home)) pilots += read(pid);
    } catch {}
  }
  figures.pilots = pilots;
  return Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, round(v, 0)]));
}

/**
 * Jobs not yet matched (Received, Checking, Waiting): the backlog kept. Counting Done instead, every
 * 2 s, would read every finished job each time (a COUNT query still reads the items): 20,000 of
 * them by the end, a load on the emulator that grows with the run and is not muon's. Done is
 * counted once per sample.
 */
async function waiting(): Promise<number> {
  let count = 0;
  for (const status of ['Received', 'Checking', 'Waiting'] as const)
    count += await countByStatus(runtime, vo, status);
  return count;
}

const samples: { minute: number; done: number; rssMb: Record<string, number> }[] = [];
const started = performance.now();
const minute = () => round((performance.now() - started) / 60_000, 1);
let submitted = 0;
let done = 0;
let nextSample = 0;
// When the load ended: BENCH_MINUTES passed, or all BENCH_JOBS were submitted and Done.
let loadEndedAt: number | undefined;
try {
  for (;;) {
    const now = performance.now();
    if (loadEndedAt === undefined && now - started >= minutes * 60_000) loadEndedAt = now;
    if (loadEndedAt !== undefined && now - loadEndedAt >= idleMinutes * 60_000) break;
    const toSubmit = loadEndedAt === undefined ? Math.min(100, target - submitted) : 0;
    if (toSubmit > 0 && (await waiting()) < backlog) {
      await api(
        runtime,
        '/api/jobs/jdl',
        Array.from(
          { length: toSubmit },
          (_, j) => `[ Executable = "/bin/true"; JobName = "memory-${submitted + j}"; ]`,
        ),
      );
      submitted += toSubmit;
    }
    if (now - started >= nextSample) {
      nextSample += sampleMs;
      done = await countByStatus(runtime, vo, 'Done');
      samples.push({ minute: minute(), done, rssMb: rss() });
      process.stderr.write(`${JSON.stringify(samples.at(-1))}\n`);
      if (loadEndedAt === undefined && done >= target) loadEndedAt = performance.now();
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  done = await countByStatus(runtime, vo, 'Done');
  samples.push({ minute: minute(), done, rssMb: rss() });
} finally {
  await runtime.cleanup();
}
const names = Object.keys(samples[0]?.rssMb ?? {});
const loadMinutes = round(((loadEndedAt ?? performance.now()) - started) / 60_000, 1);
const loadEnd = samples.filter((s) => s.minute <= loadMinutes).at(-1);
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'memory',
    minutes,
    loadMinutes,
    idleMinutes,
    submitted,
    done,
    peakRssMb: Object.fromEntries(names.map((n) => [n, Math.max(...samples.map((s) => s.rssMb[n] ?? 0))])),
    endOfLoadRssMb: loadEnd?.rssMb,
    idleRssMb: samples.at(-1)?.rssMb,
    samples,
    machine: machine(),
  })}\n`,
);
