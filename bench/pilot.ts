/**
 * `npm run bench:pilot`: the memory one pilot needs per payload it supervises. A pilot with 300
 * cores (`muon pilot --cores 300`, a process of its own, so neither this harness nor the emulators
 * count) runs 300 JDL jobs `/bin/sleep 60` at once. Its RSS (VmRSS of /proc/<pid>/status, the
 * pilot process alone: the payloads are processes of their own) is sampled while it waits for work
 * (baseline: the median of 10 s of samples) and for as long as all 300 payloads run, which covers
 * watchdog checks and the heartbeat that sends their statuses (the peak of those samples);
 * mbPerPayload = (peak with 300 - baseline) / 300. Target: at most 3 MB.
 * Ends with one JSON line of figures.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { api, benchRuntime, countByStatus, machine, percentile, round } from '#bench/support.ts';
import { loadConfigFile } from '#shared/config/load.ts';

const payloads = Number(process.env.BENCH_PAYLOADS ?? 300);
const baselineSeconds = Number(process.env.BENCH_BASELINE_SECONDS ?? 10);
const sleepSeconds = 60;
const vo = 'vo.example.org';

const config = loadConfigFile('config/muon.yaml');
// The pilot's figures that shape its memory are the schema's defaults, whatever the example
// configuration says: statuses and heartbeats every `heartbeatSeconds` (60 s), watchdog samples
// every `watchdog.checkSeconds` (30 s). Only polling is quicker, so the benchmark does not wait
// minutes for the pilot to notice the jobs.
config.pilot = {
  ...config.pilot,
  heartbeatSeconds: 60,
  watchdog: { ...config.pilot.watchdog, checkSeconds: 30 },
  pollSeconds: 1,
  maxPollSeconds: 2,
  graceSeconds: 5,
};
const scratch = mkdtempSync(join(tmpdir(), 'muon-bench-pilot-'));
const configFile = join(scratch, 'muon.yaml');
writeFileSync(configFile, stringify(config));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message: string) => process.stderr.write(`${message}\n`);

/** VmRSS of one process, in MB. */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS for process ${pid}`);
  return kb / 1024;
}

/** The pilot's running `sleep` children: its payloads. */
function payloadPids(pilotPid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name === 'sleep' && Number(afterName[1]) === pilotPid && afterName[0] !== 'Z')
        pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Samples the pilot's RSS every 250 ms for `seconds`, or until `keepGoing` says no. */
async function sample(
  pid: number,
  seconds: number,
  keepGoing: () => boolean = () => true,
): Promise<number[]> {
  const samples: number[] = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end && keepGoing()) {
    samples.push(rssMb(pid));
    await sleep(250);
  }
  return samples;
}

function startPilotProcess(
  apiUrl: string,
  token: string,
): { child: ChildProcess; registered: Promise<string> } {
  const child = spawn(
    process.execPath,
    [
      'bin/muon.mjs',
      'pilot',
      '--api-url',
      apiUrl,
      '--token',
      token,
      '--config',
      configFile,
      '--cores',
      String(payloads),
      '--work-dir',
      join(scratch, 'pilot'),
      '--idle-stop',
      '600',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MUON_LOG_LEVEL: 'info' } },
  );
  const registered = new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('"level":"error"')) log(`pilot: ${line}`);
        if (line.includes('"message":"pilot registered"')) resolve(JSON.parse(line).pilot as string);
      }
    });
    child.once('exit', (code) => reject(new Error(`the pilot exited (${code}) before registering`)));
  });
  return { child, registered };
}

const runtime = await benchRuntime({ config, inMemory: true });
let pilot: ChildProcess | undefined;
const seenPayloads = new Set<number>();
try {
  const started = startPilotProcess(runtime.apiUrl, runtime.tokens.pilot);
  pilot = started.child;
  const pid = pilot.pid as number;
  const reference = await started.registered;
  log(`pilot ${reference} registered (process ${pid}); sampling its baseline for ${baselineSeconds} s`);
  // The first seconds load and compile the code; the baseline is the idle pilot after them.
  await sleep(3000);
  const baseline = await sample(pid, baselineSeconds);

  const submitted = performance.now();
  await api(runtime, '/api/jobs/jdl', [
    `Executable = "/bin/sleep"; Arguments = "${sleepSeconds}"; JobName = "sleep_%n"; Parameters = ${payloads};`,
  ]);
  let running = 0;
  while (running < payloads) {
    if (performance.now() - submitted > sleepSeconds * 1000)
      throw new Error(`only ${running} payloads started`);
    await sleep(250);
    running = payloadPids(pid).length;
    process.stderr.write(`\rpayloads running: ${running}/${payloads}`);
  }
  const fillSeconds = (performance.now() - submitted) / 1000;
  process.stderr.write('\n');
  log(`all ${payloads} payloads run after ${round(fillSeconds)} s; sampling while they all run`);
  const windowStart = Date.now();
  const withPayloads = await sample(pid, sleepSeconds, () => {
    const pids = payloadPids(pid);
    for (const p of pids) seenPayloads.add(p);
    return pids.length === payloads;
  });
  const windowSecondsRan = (Date.now() - windowStart) / 1000;
  const runningJobs = await countByStatus(runtime, vo, 'Running');

  const baselineRssMb = percentile(baseline, 50);
  const pilotRssMb = Math.max(...withPayloads);
  const figures = {
    benchmark: 'pilot',
    payloads,
    pilotRssMb: round(pilotRssMb),
    baselineRssMb: round(baselineRssMb),
    mbPerPayload: round((pilotRssMb - baselineRssMb) / payloads, 2),
    pilotRssMedianMb: round(percentile(withPayloads, 50)),
    baselinePeakRssMb: round(Math.max(...baseline)),
    // 300 once the heartbeat period that sent the payloads' statuses fell inside the samples.
    runningJobs,
    fillSeconds: round(fillSeconds),
    sampledSeconds: round(windowSecondsRan),
    heartbeatSeconds: config.pilot.heartbeatSeconds,
    checkSeconds: config.pilot.watchdog.checkSeconds,
    machine: machine(),
  };

  // Drain: the payloads are interrupted after the grace period and their jobs rescheduled.
  const exited = new Promise<number | null>((resolve) => pilot?.once('exit', (code) => resolve(code)));
  pilot.kill('SIGTERM');
  const code = await exited;
  const left = [...seenPayloads].filter((p) => payloadPids(pid).includes(p) || isAlive(p));
  if (code !== 0) log(`the pilot exited with ${code}`);
  if (left.length > 0) log(`${left.length} payloads outlived the pilot`);
  console.log(JSON.stringify(figures));
} finally {
  if (pilot && pilot.exitCode === null) pilot.kill('SIGKILL');
  for (const p of seenPayloads) if (isAlive(p)) process.kill(p, 'SIGKILL');
  await runtime.cleanup();
  rmSync(scratch, { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return (
      stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z' && stat.includes('(sleep)')
    );
  } catch {
    return false;
  }
}
