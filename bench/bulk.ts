/**
 * `npm run bench:bulk`: issue 15's large requests on the embedded runtime (`npm start` defaults:
 * DynamoDB on disk, `limits.requestBudgetSeconds` 20 s). One CWL submission of BENCH_JOBS inputs
 * (5,000), sent as the CLI does (again with its Idempotency-Key while it answers 202), then one
 * kill of all those jobs, sent again for the jobs `not_attempted`. Reports each request's status and
 * duration: every one must answer within API Gateway's 30 s, none 5xx, and the job count must be
 * exact. Ends with one JSON line of figures.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { benchRuntime, machine, round } from '#bench/support.ts';

const jobs = Number(process.env.BENCH_JOBS ?? 5000);
const runtime = await benchRuntime({ inMemory: process.env.BENCH_IN_MEMORY === '1' });

async function post(path: string, body: unknown, key?: string) {
  const started = performance.now();
  const response = await fetch(`${runtime.apiUrl}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${runtime.tokens.user}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  const ms = performance.now() - started;
  process.stderr.write(`${path} ${response.status} ${round(ms)} ms\n`);
  return { status: response.status, ms, answer, key: response.headers.get('idempotency-key') };
}

try {
  const workflow = parse(readFileSync('test/fixtures/cwl/hello-world.cwl', 'utf8'));
  const body = { workflow, inputs: Array.from({ length: jobs }, (_, i) => ({ message: `m${i}` })) };
  const submissions = [await post('/api/jobs', body)];
  while (submissions.at(-1)?.status === 202) {
    submissions.push(await post('/api/jobs', body, submissions[0]?.key ?? undefined));
  }
  const last = submissions.at(-1);
  if (last?.status !== 201)
    throw new Error(`submission ended ${last?.status}: ${JSON.stringify(last?.answer)}`);
  const ids = (last.answer as unknown as { JobID: number }[]).map((job) => job.JobID);
  if (new Set(ids).size !== jobs) throw new Error(`expected ${jobs} distinct jobs, got ${new Set(ids).size}`);

  const kills = [];
  let rest = ids;
  while (rest.length > 0 && kills.length < 100) {
    const kill = await post('/api/jobs/kill', { job_ids: rest });
    kills.push(kill);
    if (kill.status !== 200) throw new Error(`kill answered ${kill.status}: ${JSON.stringify(kill.answer)}`);
    rest = Object.entries(kill.answer.failed as Record<string, { code: string }>)
      .filter(([, failure]) => failure.code === 'not_attempted' || failure.code === 'unavailable')
      .map(([id]) => Number(id));
  }
  const slowest = (list: { ms: number }[]) => round(Math.max(...list.map((r) => r.ms)));
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'bulk',
      jobs,
      budgetSeconds: runtime.deps.config.limits.requestBudgetSeconds,
      submissionRequests: submissions.length,
      submissionStatuses: submissions.map((r) => r.status),
      slowestSubmissionMs: slowest(submissions),
      killRequests: kills.length,
      slowestKillMs: slowest(kills),
      machine: machine(),
    })}\n`,
  );
} finally {
  await runtime.cleanup();
}
