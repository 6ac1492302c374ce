/**
 * `npm run bench:search`: the job search behind the web monitor's table (DiracX's
 * `POST /api/jobs/search`, DIRAC's JobMonitoring `getJobs`) on a table of BENCH_JOBS jobs
 * (100,000): Waiting jobs written straight into the table (search-fill.ts), or with BENCH_FILL=api
 * submitted through the API as parametric JDL, 10,000 per request. Then, as the user
 * who owns them, each query BENCH_REPEAT times (20): the first page of 100 sorted by JobID
 * descending (the monitor's first view), the same filtered by Status, the page halfway through the table,
 * and the summary by Status. Reports the server time (the API's answer, the HTTP round trip on
 * 127.0.0.1 included) p50/p99 per query, and ends with one JSON line.
 *
 * Submitted through the API, the queries start once the runtime has moved every job to Waiting
 * (BENCH_SETTLE=0: right after the submissions; BENCH_SETTLE=both: both, the first set right
 * after). The embedded runtime runs the job manager's chain in the same process as the search; in
 * the cloud each is a Lambda of its own, so the search's time is measured without the hundred
 * thousand transitions of a fresh submission competing for the same event loop.
 */
import { randomUUID } from 'node:crypto';
import { runtimeWithJobs } from '#bench/search-fill.ts';
import { api, benchRuntime, countByStatus, machine, percentile, round } from '#bench/support.ts';
import { loadConfigFile } from '#shared/config/load.ts';

const totalJobs = Number(process.env.BENCH_JOBS ?? 100_000);
const repeat = Number(process.env.BENCH_REPEAT ?? 20);
const perRequest = 10_000;
const fill = process.env.BENCH_FILL ?? 'direct';
if (fill !== 'direct' && fill !== 'api') throw new Error(`BENCH_FILL is direct or api, not ${fill}`);
const mode = fill === 'direct' ? '1' : (process.env.BENCH_SETTLE ?? '1');
const config = loadConfigFile('config/muon.yaml');
const vo = Object.keys(config.virtualOrganizations)[0] as string;

const loadStarted = Date.now();
const runtime = fill === 'direct' ? await runtimeWithJobs(config, totalJobs) : await benchRuntime({ config });
try {
  for (let submitted = 0; fill === 'api' && submitted < totalJobs; submitted += perRequest) {
    const count = Math.min(perRequest, totalJobs - submitted);
    const body = [`Executable = "echo"; Arguments = "%s"; JobName = "search_%n"; Parameters = ${count};`];
    // A key of our own: a submission cut by the function's timeout (a 500 on a loaded machine) is
    // sent again with it and finishes where it stopped, with no job twice.
    const key = { 'idempotency-key': randomUUID() };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await api(runtime, '/api/jobs/jdl', body, key);
        break;
      } catch (error) {
        if (attempt >= 5 || !/: 5\d\d /.test(String(error))) throw error;
      }
    }
  }
  const loadSeconds = (Date.now() - loadStarted) / 1000;
  const timed = async (path: string, body: unknown) => {
    const times: number[] = [];
    let total = '';
    for (let i = 0; i < repeat; i += 1) {
      const started = performance.now();
      const response = await fetch(`${runtime.apiUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${runtime.tokens.user}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await response.text();
      times.push(performance.now() - started);
      if (!response.ok) throw new Error(`${path}: ${response.status}`);
      total = response.headers.get('content-range') ?? '';
    }
    return { p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)), contentRange: total };
  };
  const sortById = [{ parameter: 'JobID', direction: 'desc' }];
  const runQueries = async () => ({
    firstPage: await timed('/api/jobs/search?page=1&per_page=100', { sort: sortById }),
    byStatus: await timed('/api/jobs/search?page=1&per_page=100', {
      search: [{ parameter: 'Status', operator: 'in', values: ['Received', 'Checking', 'Waiting'] }],
      sort: sortById,
    }),
    deepPage: await timed(`/api/jobs/search?page=${Math.max(1, Math.floor(totalJobs / 200))}&per_page=100`, {
      sort: sortById,
    }),
    summaryByStatus: await timed('/api/jobs/summary', { grouping: ['Status'] }),
  });
  // BENCH_SETTLE=both: the queries right after the submissions too, as the benchmark timed them before.
  const unsettled = mode === 'both' ? await runQueries() : undefined;
  const settleStarted = Date.now();
  let waiting = 0;
  // Until every job is Waiting, or no job has moved for a minute (then the run says how many were).
  for (
    let last = -1, still = Date.now();
    mode !== '0' && waiting < totalJobs && Date.now() - still < 60_000;
  ) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    waiting = await countByStatus(runtime, vo, 'Waiting');
    if (waiting !== last) [last, still] = [waiting, Date.now()];
  }
  const settleSeconds = (Date.now() - settleStarted) / 1000;

  const queries = await runQueries();
  console.log(
    JSON.stringify({
      benchmark: 'search',
      jobs: totalJobs,
      repeat,
      fill,
      loadSeconds: round(loadSeconds),
      ...(mode === '0' ? {} : { settleSeconds: round(settleSeconds), waitingAtStart: waiting }),
      queries,
      ...(unsettled ? { queriesRightAfterSubmission: unsettled } : {}),
      machine: machine(),
    }),
  );
} finally {
  await runtime.cleanup();
}
