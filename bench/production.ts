/**
 * `npm run bench:production`: a 3-step production on the embedded runtime with its local pilots.
 * The example Workflow of examples/production (generate → process → merge, real cwltool jobs):
 * generation of BENCH_FILES files (BENCH_EVENTS files per task), processed in groups of
 * BENCH_GROUP (one output per input), merged in groups of BENCH_GROUP. Measures the wall time from
 * submission to Completed and jobs per second, then checks, from the catalog and from the
 * transformations' file statuses and tasks, that every file of every step was Processed exactly
 * once in a Done task: none twice, none lost. Ends with one JSON line.
 */
import { benchRuntime, machine, round } from '#bench/support.ts';
import { packCwl } from '#cli/cwl/pack.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';

const files = Number(process.env.BENCH_FILES ?? 1000);
const eventsPerTask = Number(process.env.BENCH_EVENTS ?? 10);
const groupSize = Number(process.env.BENCH_GROUP ?? 10);
const timeoutSeconds = Number(process.env.BENCH_TIMEOUT ?? 3600);
const tasks = Math.ceil(files / eventsPerTask);

/** The shipped configuration with pilots that poll often, as a busy site's would. */
function benchConfig(): MuonConfig {
  const base = loadConfigFile('config/muon.yaml');
  return { ...base, pilot: { ...base.pilot, pollSeconds: 0.5, maxPollSeconds: 1 } };
}

const runtime = await benchRuntime({ config: benchConfig(), pilots: true });

async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${runtime.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${runtime.tokens.user}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

interface StepView {
  step: string;
  transformationId: number;
  state: string;
  files: Record<string, number>;
  jobs: Record<string, number>;
}

async function allPages<T>(path: string, key: string, cursor: 'next' | 'after'): Promise<T[]> {
  const out: T[] = [];
  let next: string | number | undefined;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await call<Record<string, unknown>>(
      'GET',
      `${path}${sep}limit=1000${next !== undefined ? `&${cursor}=${encodeURIComponent(String(next))}` : ''}`,
    );
    out.push(...(page[key] as T[]));
    next = page.next as string | number | undefined;
  } while (next !== undefined);
  return out;
}

async function find(query: string): Promise<string[]> {
  const out: string[] = [];
  let next: string | undefined;
  do {
    const page = await call<{ LFNs: string[]; next?: string }>('POST', '/api/data/find', {
      Query: query,
      Limit: 10_000,
      ...(next ? { Next: next } : {}),
    });
    out.push(...page.LFNs);
    next = page.next;
  } while (next);
  return out;
}

/** Exactly-once over one step: its inputs (the step before's outputs) against its files and tasks. */
async function check(transformationId: number, inputs: readonly string[]) {
  const rows = await allPages<{ lfn: string; status: string; taskId?: number }>(
    `/api/transformations/${transformationId}/files`,
    'files',
    'next',
  );
  const taskRows = await allPages<{ taskId: number; status: string; lfns: string[] }>(
    `/api/transformations/${transformationId}/tasks`,
    'tasks',
    'after',
  );
  const inDoneTasks = new Map<string, number>();
  for (const task of taskRows) {
    if (task.status !== 'Done') continue;
    for (const lfn of task.lfns) inDoneTasks.set(lfn, (inDoneTasks.get(lfn) ?? 0) + 1);
  }
  const status = new Map(rows.map((row) => [row.lfn, row.status]));
  let once = 0;
  let twice = 0;
  let lost = 0;
  for (const lfn of inputs) {
    const times = inDoneTasks.get(lfn) ?? 0;
    if (status.get(lfn) === 'Processed' && times === 1) once += 1;
    else if (times > 1) twice += 1;
    else lost += 1;
  }
  const jobs = taskRows.length;
  return { inputs: inputs.length, once, twice, lost, tasks: jobs, strangers: rows.length - inputs.length };
}

try {
  const workflow = packCwl('examples/production/production.cwl').document as {
    $graph: { id: string; inputs?: Record<string, { default?: unknown }> }[];
  };
  const main = workflow.$graph.find((process) => process.id === '#main');
  const input = main?.inputs?.events_per_task;
  if (!input) throw new Error('examples/production/production.cwl has no input events_per_task');
  input.default = eventsPerTask;
  const steps = {
    generate: { tasks, output_metadata: { campaign: 'bench', datatype: 'RAW' } },
    process: { group_size: groupSize, output_metadata: { campaign: 'bench', datatype: 'PROCESSED' } },
    merge: { group_size: groupSize, output_metadata: { campaign: 'bench', datatype: 'MERGED' } },
  };

  const started = performance.now();
  const created = await call<{ productionId: string; steps: { step: string; transformationId: number }[] }>(
    'POST',
    '/api/productions',
    { workflow, steps, name: 'bench' },
    { 'idempotency-key': `bench-${Date.now()}` },
  );
  const id = created.productionId;
  let view: { state: string; steps: StepView[] };
  let completed = false;
  for (;;) {
    view = await call('GET', `/api/productions/${id}`);
    const line = view.steps
      .map((s) => `${s.step} ${s.state} ${JSON.stringify(s.files)} ${JSON.stringify(s.jobs)}`)
      .join(' | ');
    process.stderr.write(`${round((performance.now() - started) / 1000)} s ${view.state}: ${line}\n`);
    if (view.state === 'Completed') {
      completed = true;
      break;
    }
    if ((performance.now() - started) / 1000 > timeoutSeconds) break;
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  const seconds = (performance.now() - started) / 1000;

  const generated = await find(`productionId=${id} productionStep=generate`);
  const processed = await find(`productionId=${id} productionStep=process`);
  const merged = await find(`productionId=${id} productionStep=merge`);
  const [, processStep, mergeStep] = created.steps;
  const processCheck = await check(processStep?.transformationId as number, generated);
  const mergeCheck = await check(mergeStep?.transformationId as number, processed);
  const jobs = tasks + processCheck.tasks + mergeCheck.tasks;
  const result = {
    benchmark: 'production',
    completed,
    files: generated.length,
    processedOnce: processCheck.once + mergeCheck.once,
    processedTwice: processCheck.twice + mergeCheck.twice,
    lost: processCheck.lost + mergeCheck.lost + Math.max(0, files - generated.length),
    seconds: round(seconds),
    jobs,
    jobsPerSecond: round(jobs / seconds, 2),
    steps: {
      generate: { tasks, outputs: generated.length },
      process: { ...processCheck, outputs: processed.length },
      merge: { ...mergeCheck, outputs: merged.length },
    },
    groupSize,
    eventsPerTask,
    machine: machine(),
  };
  console.log(JSON.stringify(result));
  if (!completed || result.processedTwice > 0 || result.lost > 0) process.exitCode = 1;
} finally {
  await runtime.cleanup();
}
