/**
 * Repeated match requests (issue 15; DIRAC has no counterpart: there a request that timed out on
 * the pilot leaves its job Matched until the StalledJobAgent's MatchedTime, two hours). A pilot
 * names each request (`RequestID`) and, when a request timed out or failed on the way, sends it
 * again with the same id and `Repeat: true`. The claim records the request on the job
 * (`matchRequest`), so the repeat gets the same job back, with no second claim, as long as the job
 * is still Matched to that pilot; otherwise (the job was given back meanwhile) it is a new request.
 *
 * Costs nothing on first requests: an instance remembers the requests it answered with a job, and
 * concurrent copies of one request in one instance share one answer; only a `Repeat` that this
 * instance does not remember queries the jobs table's sparse byMatchRequest index (eventually
 * consistent: a repeat comes after the pilot's timeout, long after the index caught up).
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '#shared/jobs/model.ts';
import { jobIdOfKey } from '#shared/jobs/store/keys.ts';
import { getJob } from '#shared/jobs/store/read-jobs.ts';

export interface RepeatsDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly jobsTable: string;
  readonly now: () => Date;
  /** How long an instance remembers a request it answered with a job. */
  readonly keepSeconds: number;
}

const rememberLimit = 20_000;

export function createRepeats(deps: RepeatsDeps) {
  const recent = new Map<string, { jobId: number; until: number }>();
  const inFlight = new Map<string, Promise<unknown>>();

  async function claimedUnder(key: string, repeat: boolean): Promise<number | undefined> {
    const remembered = recent.get(key);
    if (remembered && remembered.until > deps.now().getTime()) return remembered.jobId;
    if (!repeat) return undefined;
    const { Items } = await deps.dynamo.send(
      new QueryCommand({
        TableName: deps.jobsTable,
        IndexName: 'byMatchRequest',
        KeyConditionExpression: '#request = :request',
        ExpressionAttributeNames: { '#request': 'matchRequest' },
        ExpressionAttributeValues: { ':request': key },
      }),
    );
    const pk = Items?.[0]?.pk;
    return typeof pk === 'string' ? jobIdOfKey(pk) : undefined;
  }

  return {
    /**
     * The job the request `key` (`matchRequestKey`) claimed before, if it is still Matched to
     * `pilotReference` under that request: the answer the pilot never got.
     */
    async earlier(key: string, pilotReference: string, repeat: boolean): Promise<JobRecord | undefined> {
      const jobId = await claimedUnder(key, repeat);
      if (jobId === undefined) return undefined;
      const job = await getJob(deps.dynamo, deps.jobsTable, jobId);
      const still =
        job?.status === 'Matched' && job.pilotReference === pilotReference && job.matchRequest === key;
      return still ? job : undefined;
    },

    remember(key: string, jobId: number): void {
      if (recent.size >= rememberLimit) recent.delete(recent.keys().next().value as string);
      recent.set(key, { jobId, until: deps.now().getTime() + deps.keepSeconds * 1000 });
    },

    /** Runs `answer` once per key at a time: a copy that arrives meanwhile waits for it, then asks again. */
    async once<T>(key: string, answer: () => Promise<T>): Promise<T> {
      for (let running = inFlight.get(key); running; running = inFlight.get(key))
        await running.catch(() => undefined);
      const run = answer();
      inFlight.set(key, run);
      try {
        return await run;
      } finally {
        if (inFlight.get(key) === run) inFlight.delete(key);
      }
    },
  };
}
export type Repeats = ReturnType<typeof createRepeats>;
