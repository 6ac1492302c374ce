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
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile, round } from '#bench/support.ts';
import { createJobApi } from '#cli/commands/job-api.ts';

const jobs = Number(process.env.BENCH_JOBS ?? 20);
const gapSeconds = Number(process.env.BENCH_GAP_SECONDS ?? 3);
// The CLI's own client: the API URL and user token of $MUON_HOME/local.json (.muon/ by default).
const api = createJobApi({});

interface JobRecord {
  Status: string;
  LoggingInfo?: { Status: string; StatusTime?: string; DateTime?: string; TimeStamp?: string }[];
}

/** Seconds from submission to Running for one job; waits until the job has ended. */
async function pickup(): Promise<number> {
  const jdl = '[ Executable = "/bin/true"; JobName = "pickup"; ]';
  const [job] = await api.submit('/api/jobs/jdl', [jdl], randomUUID());
  const submitted = Date.now();
  if (!job) throw new Error('no job returned');
  for (;;) {
    const { body: record } = await api.client.request<JobRecord>('GET', `/api/jobs/${job.JobID}`);
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
process.stdout.write(
  `${JSON.stringify({ jobs, gapSeconds, medianSeconds: round(percentile(times, 50), 2), p90Seconds: round(percentile(times, 90), 2) })}\n`,
);
