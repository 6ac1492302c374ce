/**
 * The backlog of `bench/match.ts`: task queues over sites and tags, and Waiting jobs with their task
 * queue entries, put straight into DynamoDB (the benchmark measures matching, not the executor
 * chain; DIRAC's counterpart is a TaskQueueDB filled by JobScheduling). Two fill paths:
 * - `api`: BatchWriteItem through the runtime's client, 8 batches at a time (about 1,000-3,000
 *   items/s into dynalite on disk, so about 11-35 minutes for a million jobs and their entries);
 * - `direct`: while no dynalite holds the files, the items go into dynalite's LevelDB as dynalite's
 *   own PutItem would store them (the item under dynalite's key, one row per index, both computed
 *   by dynalite's db module), in LevelDB batches, without HTTP, validation or a read per item.
 * Jobs are built a chunk at a time, so a million of them never sit in memory at once.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalRuntime } from '#local/runtime.ts';
import { chunk, forEachLimited } from '#shared/concurrency.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { type JobRecord, jobDescriptionSchema } from '#shared/jobs/model.ts';
import { jobItem } from '#shared/jobs/store/keys.ts';
import { writeBatch } from '#shared/jobs/store/write-jobs.ts';
import { createLogger } from '#shared/log.ts';
import { type TaskQueueDefinition, taskQueueId } from '#shared/taskqueues/definition.ts';
import { taskQueueKeys } from '#shared/taskqueues/keys.ts';

export interface BenchQueue {
  readonly tqId: string;
  readonly definition: TaskQueueDefinition;
}

/**
 * The definitions below repeat every 2,100 task queues (the least common multiple of their
 * periods); each repeat gets owners of its own, so that `count` task queues are `count` distinct
 * ones (a first run of 5,000 made 2,100).
 */
const definitionPeriod = 2100;

/** Task queue i: one or two sites (none for every fifth), one or two tags, a CPU-time bucket. */
export function benchQueues(
  vo: string,
  sites: readonly string[],
  tags: readonly string[],
  count: number,
): BenchQueue[] {
  return Array.from({ length: count }, (_, i) => {
    const definition: TaskQueueDefinition = {
      vo,
      owner: i < definitionPeriod ? `user${i % 7}` : `user${i % 7}.${Math.floor(i / definitionPeriod)}`,
      ownerGroup: i % 3 === 0 ? 'admin' : 'user',
      cpuTime: [3600, 21_600, 86_400][i % 3] as number,
      sites:
        i % 5 === 0
          ? []
          : ([...new Set([sites[i % sites.length], sites[(i * 7 + 3) % sites.length]])].sort() as string[]),
      gridCEs: [],
      bannedSites: [],
      platforms: [],
      jobTypes: ['User'],
      tags: [
        ...new Set([tags[i % tags.length], ...(i % 2 === 0 ? [tags[(i * 13 + 5) % tags.length]] : [])]),
      ].sort() as string[],
    };
    return { tqId: taskQueueId(definition), definition };
  });
}

/** One Waiting job of task queue `q` and its entry; consecutive ids share a task queue, as a bulk submission's do. */
function jobAndEntry(jobId: number, q: BenchQueue, now: string) {
  const priority = jobId % 11 === 0 ? 5 : 1;
  const d = q.definition;
  const job: JobRecord = {
    jobId,
    vo: d.vo,
    owner: d.owner,
    ownerSub: `${d.vo}:${d.owner}`,
    ownerGroup: d.ownerGroup,
    status: 'Waiting',
    minorStatus: 'Pilot Agent Submission',
    applicationStatus: 'Unknown',
    site: d.sites.length === 1 ? (d.sites[0] as string) : 'Multiple',
    jobName: `bench_${jobId}`,
    jobType: 'User',
    jobGroup: '',
    userPriority: priority,
    submissionTime: now,
    lastUpdateTime: now,
    lastStatusTime: now,
    rescheduleCounter: 0,
    description: jobDescriptionSchema.parse({
      kind: 'jdl',
      jdl: `[Executable = "echo"; Arguments = "${jobId}"; JobName = "bench_${jobId}";]`,
      executable: 'echo',
      arguments: String(jobId),
      jobName: `bench_${jobId}`,
      jobType: 'User',
      priority,
      cpuTime: d.cpuTime,
      sites: d.sites,
      tags: d.tags,
      outputSandbox: ['std.out'],
    }),
    requirements: { ...d, priority },
    taskQueueId: q.tqId,
    parameters: {},
    commands: [],
    history: [
      {
        time: now,
        status: 'Waiting',
        minorStatus: 'Pilot Agent Submission',
        applicationStatus: 'Unknown',
        source: 'JobScheduling',
        resultingStatus: 'Waiting',
        applied: true,
      },
    ],
    version: 1,
  };
  const entry = {
    ...taskQueueKeys.entry(q.tqId, jobId, priority),
    tqId: q.tqId,
    jobId,
    priority,
    enqueuedAt: now,
  };
  return { job: jobItem(job), entry };
}

/** Jobs 1..total spread over `queues` in order, `size` at a time, as job items and entry items. */
export function* backlogChunks(queues: readonly BenchQueue[], total: number, now: string, size = 10_000) {
  for (let first = 1; first <= total; first += size) {
    const jobs: Record<string, unknown>[] = [];
    const entries: Record<string, unknown>[] = [];
    for (let jobId = first; jobId < Math.min(first + size, total + 1); jobId += 1) {
      const q = queues[Math.floor(((jobId - 1) * queues.length) / total)] as BenchQueue;
      const { job, entry } = jobAndEntry(jobId, q, now);
      jobs.push(job);
      entries.push(entry);
    }
    yield { jobs, entries };
  }
}

/** The `api` path: BatchWriteItem through the runtime's client. */
export async function fillOverApi(
  dynamo: DynamoDBDocumentClient,
  tables: { jobs: string; taskQueues: string },
  chunks: Iterable<{ jobs: Record<string, unknown>[]; entries: Record<string, unknown>[] }>,
): Promise<void> {
  const load = (table: string, items: Record<string, unknown>[]) =>
    forEachLimited(chunk(items, 25), 8, (batch) => writeBatch(dynamo, table, batch));
  for (const { jobs, entries } of chunks) {
    await load(tables.jobs, jobs);
    await load(tables.taskQueues, entries);
  }
}

/** DynamoDB's attribute-value form of a plain item, as the document client's marshalling gives it. */
function attributeValue(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(attributeValue).filter((v) => v !== undefined) };
  if (typeof value === 'object') return { M: attributeMap(value as Record<string, unknown>) };
  throw new Error(`bench fill: cannot store ${typeof value}`);
}

function attributeMap(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    const stored = attributeValue(value);
    if (stored !== undefined) out[name] = stored;
  }
  return out;
}

type Callback<T = void> = (error: Error | null, value?: T) => void;
interface DynaliteTable {
  readonly TableName: string;
  readonly LocalSecondaryIndexes?: unknown[];
  readonly GlobalSecondaryIndexes?: unknown[];
}
interface LevelOp {
  type: 'put';
  key: string;
  value: unknown;
}
interface DynaliteStore {
  readonly db: { batch(ops: LevelOp[], cb: Callback): void; close(cb: Callback): void };
  getTable(name: string, checkStatus: boolean, cb: Callback<DynaliteTable>): void;
}
interface DynaliteDb {
  create(options: { path: string }): DynaliteStore;
  createKey(item: Record<string, unknown>, table: DynaliteTable): string;
  getIndexActions(
    indexes: unknown[],
    existing: undefined,
    item: Record<string, unknown>,
    table: DynaliteTable,
  ): { puts: { index: string; key: string; item: unknown }[] };
}

const promised = <T>(run: (cb: Callback<T>) => void) =>
  new Promise<T>((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))));

/**
 * The `direct` path end to end: stops `first` (the runtime that created the tables), writes the
 * items into its home, and starts the runtime that serves the benchmark on that home; `cleanup`
 * stops it and removes the home.
 */
export async function restartWithItems(
  first: { readonly home: string; stop(): Promise<void> },
  config: MuonConfig,
  tables: { jobs: string; taskQueues: string },
  chunks: Iterable<{ jobs: Record<string, unknown>[]; entries: Record<string, unknown>[] }>,
) {
  await first.stop();
  await fillDirect(first.home, tables, chunks);
  const second = await startLocalRuntime({
    config,
    home: first.home,
    port: 0,
    inMemory: false,
    logger: createLogger({ level: 'error', write: (line) => process.stderr.write(`${line}\n`) }),
  });
  return {
    ...second,
    home: first.home,
    cleanup: async () => {
      await second.stop();
      rmSync(first.home, { recursive: true, force: true });
    },
  };
}

/**
 * The `direct` path, into `<home>/dynamodb` while no dynalite has it open (the runtime that
 * created the tables is stopped, the one that serves the benchmark not started yet). Keys follow
 * dynalite 4's store (db/index.js): `item-<table>~<key>` and `index-<type>~<table>~<index>~<key>`.
 */
export async function fillDirect(
  home: string,
  tables: { jobs: string; taskQueues: string },
  chunks: Iterable<{ jobs: Record<string, unknown>[]; entries: Record<string, unknown>[] }>,
): Promise<void> {
  const dynaliteDb = createRequire(import.meta.url)('dynalite/db') as DynaliteDb;
  const store = dynaliteDb.create({ path: join(home, 'dynamodb') });
  try {
    const definitions = {
      jobs: await promised<DynaliteTable>((cb) => store.getTable(tables.jobs, false, cb)),
      taskQueues: await promised<DynaliteTable>((cb) => store.getTable(tables.taskQueues, false, cb)),
    };
    const rows = (table: DynaliteTable, items: Record<string, unknown>[]) => {
      const ops: LevelOp[] = [];
      for (const plain of items) {
        const item = attributeMap(plain);
        ops.push({
          type: 'put',
          key: `item-${table.TableName}~${dynaliteDb.createKey(item, table)}`,
          value: item,
        });
        for (const kind of ['Local', 'Global'] as const) {
          const indexes =
            (kind === 'Local' ? table.LocalSecondaryIndexes : table.GlobalSecondaryIndexes) ?? [];
          for (const put of dynaliteDb.getIndexActions(indexes, undefined, item, table).puts)
            ops.push({
              type: 'put',
              key: `index-${kind.toLowerCase()}~${table.TableName}~${put.index}~${put.key}`,
              value: put.item,
            });
        }
      }
      return ops;
    };
    for (const { jobs, entries } of chunks) {
      const ops = [...rows(definitions.jobs, jobs), ...rows(definitions.taskQueues, entries)];
      for (const batch of chunk(ops, 5_000)) await promised((cb) => store.db.batch(batch, cb));
    }
  } finally {
    await promised((cb) => store.db.close(cb));
  }
}
