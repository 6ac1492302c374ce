/**
 * `npm run chaos`: a bounded run of the embedded runtime under faults, on 127.0.0.1. It submits
 * CHAOS_JOBS jobs (JDL and CWL, some with an output file), then until every job has ended (or
 * CHAOS_SECONDS pass) it SIGKILLs random pilots and payloads, kills emulator children (the runtime
 * restarts them), SIGKILLs the runtime and starts it again on the same home and port, while S3
 * answers some calls late and some with 503 SlowDown. Then it asserts: no job lost, every job in a
 * final status, no payload of one job running twice at the same time (a ledger every payload
 * writes to), no output of a Done job missing. One JSON line of counts; exit 1 if an assertion
 * failed. DIRAC has no such suite; its certification runs real jobs on a test setup.
 *
 * Variables: CHAOS_JOBS (40), CHAOS_CWL_EVERY (4: every 4th job is CWL), CHAOS_SECONDS (600),
 * CHAOS_FAULT_EVERY_MS (4000), CHAOS_RUNTIME_KILLS (2), CHAOS_EMULATOR_KILLS (2), CHAOS_SEED,
 * (pilots killed: at most a tenth of the jobs, payloads an eighth; faults start with the first
 * payload, so that each one hits work in progress),
 * CHAOS_KEEP=1 (keep the run's directory).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { createJobApi } from '#cli/commands/job-api.ts';
import { finalStatuses, outputPresent, overlapping, runsOf } from './chaos-checks.ts';
import { alive, busyPilots, kill, processesOf, settled } from './chaos-processes.ts';

const env = process.env;
const jobs = Number(env.CHAOS_JOBS ?? 40);
const cwlEvery = Number(env.CHAOS_CWL_EVERY ?? 4);
const limitMs = Number(env.CHAOS_SECONDS ?? 600) * 1000;
const faultEveryMs = Number(env.CHAOS_FAULT_EVERY_MS ?? 4000);
const budget = {
  runtime: Number(env.CHAOS_RUNTIME_KILLS ?? 2),
  emulator: Number(env.CHAOS_EMULATOR_KILLS ?? 2),
  pilot: Math.max(1, Math.round(jobs / 10)),
  payload: Math.max(1, Math.round(jobs / 8)),
};
const s3Faults = { failRate: 0.05, delayRate: 0.2, delayMs: 400 };
let seed = Number(env.CHAOS_SEED ?? Date.now() % 100_000);
const firstSeed = seed;
/** A small seeded generator (mulberry32), so a failing run can be repeated with CHAOS_SEED. */
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};
const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (message: string) =>
  process.stderr.write(`chaos ${((performance.now() - t0) / 1000).toFixed(1)} s: ${message}\n`);

const t0 = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'muon-chaos-'));
const home = join(dir, 'home');
const ledger = join(dir, 'ledger');
const payload = join(dir, 'payload.sh');
writeFileSync(
  payload,
  `#!/bin/sh\n# chaos payload: $1 tag, $2 ledger\necho "S $1 $$ $(date +%s%3N)" >> "$2"\nsleep 1\necho "$1" > out.txt\necho "E $1 $$ $(date +%s%3N)" >> "$2"\n`,
);
chmodSync(payload, 0o755);
// A pilot that runs as root runs each payload as an account of its own (pilot/wrapper/isolation.ts):
// the payload must reach its script and append to the ledger.
chmodSync(dir, 0o755);
writeFileSync(ledger, '', { mode: 0o666 });
chmodSync(ledger, 0o666);

// The shipped configuration with every timer short: stalled jobs are noticed in seconds.
const config = parse(readFileSync('config/muon.yaml', 'utf8')) as Record<string, Record<string, unknown>>;
config.jobs = { ...config.jobs, maxRescheduling: 30, rescheduleDelays: [1], recoverAfterSeconds: 5 };
config.pilot = {
  ...config.pilot,
  pollSeconds: 1,
  maxPollSeconds: 2,
  heartbeatSeconds: 2,
  graceSeconds: 2,
  minTimeLeftSeconds: 0,
};
config.agents = {
  ...config.agents,
  stalledJobs: {
    stalledAfterSeconds: 8,
    failAfterSeconds: 120,
    pilotGoneAfterSeconds: 5,
    matchedTimeoutSeconds: 20,
    rescheduledTimeoutSeconds: 5,
  },
  siteDirector: { localIdleStopSeconds: 30, localEverySeconds: 1 },
};
const configFile = join(dir, 'chaos.yaml');
writeFileSync(configFile, stringify(config));

const port = await new Promise<number>((done) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = server.address() as { port: number };
    server.close(() => done(free));
  });
});

let runtime: ChildProcess | undefined;
let starts = 0;
async function startRuntime(): Promise<void> {
  starts += 1;
  const out = openSync(join(dir, `runtime-${starts}.log`), 'a');
  runtime = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/chaos-runtime.ts', configFile, String(port)],
    {
      env: {
        ...env,
        MUON_HOME: home,
        MUON_EMULATOR_S3_FAULTS: JSON.stringify(s3Faults),
        MUON_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', out, out],
    },
  );
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok && alive(runtime.pid as number)) return;
    if (runtime.exitCode !== null) throw new Error(`the runtime exited (${runtime.exitCode}); see ${dir}`);
    await sleep(200);
  }
  throw new Error('the runtime did not become healthy within 60 s');
}
const api = () => createJobApi({}, { ...env, MUON_HOME: home });

const faults = { pilots: 0, payloads: 0, emulators: 0, runtimes: 0 };
const result: Record<string, unknown> = { chaos: true, seed: firstSeed, jobs };
let failedAssertions: string[] = [];
try {
  await startRuntime();
  // Submission: JDL jobs in one request, CWL jobs in another (one job per input set).
  const tags = Array.from({ length: jobs }, (_, i) => `t${i}`);
  const cwlTags = tags.filter((_, i) => i % cwlEvery === cwlEvery - 1);
  const jdlTags = tags.filter((t) => !cwlTags.includes(t));
  const withOutput = new Set([...cwlTags, ...jdlTags.filter((_, i) => i % 2 === 0)]);
  const jdl = (tag: string) =>
    `[ Executable = "${payload}"; Arguments = "${tag} ${ledger}"; JobName = "chaos-${tag}";${withOutput.has(tag) ? ' OutputSandbox = {"out.txt"};' : ''} ]`;
  const tool = {
    cwlVersion: 'v1.2',
    class: 'CommandLineTool',
    baseCommand: [payload],
    inputs: {
      tag: { type: 'string', inputBinding: { position: 1 } },
      ledger: { type: 'string', inputBinding: { position: 2 } },
    },
    outputs: { out: { type: 'File', outputBinding: { glob: 'out.txt' } } },
  };
  const jobOf = new Map<number, string>();
  const submitted = await api().submit('/api/jobs/jdl', jdlTags.map(jdl), randomUUID());
  for (const [i, job] of submitted.entries()) jobOf.set(job.JobID, jdlTags[i] as string);
  if (cwlTags.length > 0) {
    const cwl = await api().submit(
      '/api/jobs',
      { workflow: tool, inputs: cwlTags.map((tag) => ({ tag, ledger })) },
      randomUUID(),
    );
    for (const [i, job] of cwl.entries()) jobOf.set(job.JobID, cwlTags[i] as string);
  }
  log(`submitted ${jobOf.size} jobs (${cwlTags.length} CWL, ${withOutput.size} with an output)`);

  // Chaos until every job has ended.
  const statuses = new Map<number, string>();
  let nextFault = 0;
  let started = false;
  while (performance.now() - t0 < limitMs) {
    const open = [...jobOf.keys()].filter((id) => !finalStatuses.has(statuses.get(id) ?? ''));
    if (open.length === 0) break;
    for (const id of open) {
      const answer = await api()
        .client.send('GET', `/api/jobs/${id}`)
        .catch(() => undefined);
      if (answer?.status === 200) statuses.set(id, (answer.body as { Status: string }).Status);
    }
    if (!started) started = processesOf(home, undefined, payload).some((p) => p.kind === 'payload');
    if (started && performance.now() >= nextFault) {
      nextFault = performance.now() + faultEveryMs;
      await fault();
    }
    await sleep(500);
  }

  // The checks.
  const final = new Map<number, string>();
  const lost: number[] = [];
  const failures = new Map<string, number>();
  for (const id of jobOf.keys()) {
    const answer = await api()
      .client.send('GET', `/api/jobs/${id}`)
      .catch(() => undefined);
    if (answer?.status === 404) lost.push(id);
    if (answer?.status !== 200) continue;
    const job = answer.body as { Status: string; MinorStatus?: string };
    final.set(id, job.Status);
    const why = job.MinorStatus ?? '';
    if (job.Status === 'Failed') failures.set(why, (failures.get(why) ?? 0) + 1);
  }
  const count = (status: string) => [...final.values()].filter((s) => s === status).length;
  const notFinal = [...jobOf.keys()].filter(
    (id) => !lost.includes(id) && !finalStatuses.has(final.get(id) ?? ''),
  );
  const twice = overlapping(runsOf(ledger, 1500));
  const missingOutputs: number[] = [];
  for (const [id, tag] of jobOf) {
    if (
      final.get(id) === 'Done' &&
      withOutput.has(tag) &&
      !(await outputPresent(api().client, id, tag, join(dir, 'outputs'), (m) => log(`output check: ${m}`)))
    )
      missingOutputs.push(id);
  }
  Object.assign(result, {
    cwl: cwlTags.length,
    withOutput: withOutput.size,
    done: count('Done'),
    failed: count('Failed'),
    killed: count('Killed'),
    lost: lost.length,
    notFinal: notFinal.length,
    ranTwiceAtOnce: twice.length,
    missingOutputs: missingOutputs.length,
    failedBecause: Object.fromEntries(failures),
    // A killed payload fails its job (its exit code says so); more Failed than that is worth a look.
    failedBeyondKilledPayloads: Math.max(0, count('Failed') - faults.payloads),
    faults,
    s3Faults,
  });
  failedAssertions = [
    ...(lost.length ? [`lost jobs: ${lost.join(' ')}`] : []),
    ...(notFinal.length ? [`not final: ${notFinal.map((id) => `${id} (${final.get(id)})`).join(' ')}`] : []),
    ...(twice.length ? [`ran twice at once: ${twice.join(' ')}`] : []),
    ...(missingOutputs.length ? [`Done without their output: ${missingOutputs.join(' ')}`] : []),
  ];
} catch (error) {
  failedAssertions.push(`the run broke off: ${(error as Error).message}`);
} finally {
  await stopAll();
}
result.seconds = Math.round((performance.now() - t0) / 100) / 10;
result.passed = failedAssertions.length === 0;
for (const failure of failedAssertions) process.stderr.write(`chaos: FAILED: ${failure}\n`);
process.stdout.write(`${JSON.stringify(result)}\n`);
if (env.CHAOS_KEEP === '1' || failedAssertions.length > 0)
  process.stderr.write(`chaos: the run's files are in ${dir}\n`);
else rmSync(dir, { recursive: true, force: true });
process.exit(failedAssertions.length === 0 ? 0 : 1);

/** One fault, chosen at random among those that have something to hit. */
async function fault(): Promise<void> {
  const found = processesOf(home, runtime?.pid, payload);
  const pilots = busyPilots(found);
  const payloads = found.filter((p) => p.kind === 'payload');
  const emulators = found.filter((p) => p.kind === 'emulator');
  const choices = [
    ...(pilots.length && faults.pilots < budget.pilot ? ['pilot', 'pilot'] : []),
    ...(payloads.length && faults.payloads < budget.payload ? ['payload', 'payload'] : []),
    ...(emulators.length && faults.emulators < budget.emulator ? ['emulator'] : []),
    ...(faults.runtimes < budget.runtime ? ['runtime'] : []),
  ];
  if (choices.length === 0) return;
  const choice = pick(choices);
  if (choice === 'pilot' && kill(pick(pilots).pid)) faults.pilots += 1;
  if (choice === 'payload') {
    const victim = pick(payloads);
    if (kill(victim.pid)) {
      faults.payloads += 1;
      appendFileSync(ledger, `K - ${victim.pid} ${Date.now()}\n`);
    }
  }
  if (choice === 'emulator') {
    const victim = pick(emulators);
    if (kill(victim.pid)) faults.emulators += 1;
    log(`killed the ${victim.emulators} emulator`);
  }
  if (choice === 'runtime' && runtime) {
    kill(runtime.pid as number);
    faults.runtimes += 1;
    // Its emulator children stop when they notice; the next runtime needs their LevelDB lock.
    await settled([runtime.pid as number, ...emulators.map((e) => e.pid)], 15_000);
    log('killed the runtime; starting it again');
    await startRuntime();
  }
}

/** Drains the runtime, then kills whatever of the run is left (pilots of a killed runtime). */
async function stopAll(): Promise<void> {
  if (runtime && runtime.exitCode === null) {
    runtime.kill('SIGINT');
    await settled([runtime.pid as number], 40_000);
    result.runtimeExit = runtime.exitCode;
  }
  const left = processesOf(home, undefined, payload).map((p) => p.pid);
  for (const pid of left) kill(pid);
  await settled(left, 5000);
  result.leftBehind = left.length;
}
