/**
 * `npm run bench:pickup`: how soon an idle pilot takes a new job. Against a running local runtime
 * (`muon local`, found through `$MUON_HOME/local.json` or `.muon/local.json`), it submits one JDL
 * job (`/bin/true`) at a time, waits until it is Done, lets the pilot idle `BENCH_GAP_SECONDS`
 * (default 3, so its polling backoff grows as it would between a user's submissions), and submits
 * the next. The pickup time of a job is from its submission (the answer of POST /api/jobs/jdl) to
 * the time of its `Running` status in the job's history. The first job, which also starts the
 * pilot, is not counted. Ends with one JSON line: median and p90 in seconds over BENCH_JOBS jobs
 * (default 20).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile, round } from '#bench/support.ts';

const jobs = Number(process.env.BENCH_JOBS ?? 20);
const gapSeconds = Number(process.env.BENCH_GAP_SECONDS ?? 3);
const home = process.env.MUON_HOME ?? '.muon';
const local = JSON.parse(readFileSync(join(home, 'local.json'), 'utf8')) as {
  apiUrl: string;
  tokens: { user: string };
};

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${local.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${local.tokens.user}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

interface JobRecord {
  Status: string;
  LoggingInfo?: { Status: string; StatusTime?: string; DateTime?: string; TimeStamp?: string }[];
}

/** Seconds from submission to Running for one job; waits until the job has ended. */
async function pickup(): Promise<number> {
  const jdl = '[ Executable = "/bin/true"; JobName = "pickup"; ]';
  const [job] = await call<{ JobID: number }[]>('POST', '/api/jobs/jdl', [jdl]);
  const submitted = Date.now();
  if (!job) throw new Error('no job returned');
  for (;;) {
    const record = await call<JobRecord>('GET', `/api/jobs/${job.JobID}`);
    if (['Done', 'Failed', 'Killed'].includes(record.Status)) {
      const running = record.LoggingInfo?.find((entry) => entry.Status === 'Running');
      const time = running?.StatusTime ?? running?.DateTime ?? running?.TimeStamp;
      if (!time) throw new Error(`job ${job.JobID} has no Running status: ${JSON.stringify(record)}`);
      return (Date.parse(time) - submitted) / 1000;
    }
    await sleep(100);
  }
}

await pickup();
const times: number[] = [];
for (let i = 0; i < jobs; i++) {
  await sleep(gapSeconds * 1000);
  times.push(await pickup());
  process.stderr.write(`job ${i + 1}: ${round(times.at(-1) ?? 0, 2)} s\n`);
}
const sorted = [...times].sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({ jobs, gapSeconds, medianSeconds: round(percentile(sorted, 50), 2), p90Seconds: round(percentile(sorted, 90), 2) })}\n`,
);
