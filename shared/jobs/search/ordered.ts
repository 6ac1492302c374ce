/**
 * A page of a search in JobID order (the web monitor's table: JobID descending; DiracX's default
 * order, ascending), read without reading the rest of the table: DIRAC's JobDB answers
 * `ORDER BY JobID DESC LIMIT 100` from its primary key, and this is the same walk over the
 * indexes, whose sort key is the job id.
 *
 * The jobs come from sources, each in job-id order: the shards of the owner or status partitions
 * (plan.ts), or the VO's blocks of a thousand ids. A source read up to some id holds nothing unread
 * before it, so every job before the least advanced source's position has been read: that prefix is
 * complete, and the page is cut from it once it holds `first + perPage` matching jobs. Shards are
 * read all at once, each its share of what is still missing; blocks one after another.
 *
 * The total (`Content-Range`'s complete length) is exact when every source was read to its end,
 * which the read goes on to do while it has read fewer than `countUpTo` items; past that it is
 * unknown, and the answer says `*` (RFC 9110 §14.4) instead of counting a hundred thousand jobs per
 * page. DiracX counts with SQL; DynamoDB would read (and bill) every item to count them.
 */
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { forEachLimited } from '#shared/concurrency.ts';
import { jobsPerVoBlock } from '#shared/jobs/store/keys.ts';
import type { SortDirection } from './query.ts';
import {
  type IdRange,
  type JobTables,
  keyCondition,
  partitionKeys,
  type ReadBudget,
  type SearchIndex,
  type SearchItem,
  withProjection,
} from './read.ts';

/** One index partition, or one VO block (whose ids are known to lie in `ids`). */
export interface OrderedSource {
  readonly index: SearchIndex;
  readonly partition: string;
  /** Where the source's ids can be: the search's JobID range, narrowed to the block's. */
  readonly ids: IdRange;
  /** A VO block: read after the blocks before it, not alongside them. */
  readonly block?: true;
}

export interface OrderedRead {
  /** The matching jobs, in order, up to `first + perPage` of them. */
  readonly items: SearchItem[];
  /** Every matching job, when all were read; undefined when the read stopped before the end. */
  readonly total: number | undefined;
}

export interface OrderedOptions {
  readonly direction: SortDirection;
  /** Matching jobs wanted: the page's last row, counted from the first. */
  readonly wanted: number;
  /** Items read after which the search stops reading to count the total. */
  readonly countUpTo: number;
  /** Queries in flight at once. */
  readonly concurrency: number;
  /** The attributes `matches` needs, when not all the searchable ones. */
  readonly attributes?: readonly string[];
}

interface SourceState {
  readonly source: OrderedSource;
  start: Record<string, unknown> | undefined;
  /** The order key (`rank`) of the last item read, or before the source's first id. */
  bound: number;
  done: boolean;
}

export async function readOrdered(
  tables: JobTables,
  sources: readonly OrderedSource[],
  options: OrderedOptions,
  budget: ReadBudget,
  matches: (item: SearchItem) => boolean,
): Promise<OrderedRead> {
  const sign = options.direction === 'desc' ? -1 : 1;
  // Ranks grow in the order asked for: every unread item of a source ranks above its bound.
  const rank = (jobId: number) => sign * jobId;
  const before = (ids: IdRange) => {
    const edge = sign > 0 ? ids.low : ids.high;
    return edge === undefined ? -Infinity : rank(edge) - 1;
  };
  const states: SourceState[] = sources.map((source) => ({
    source,
    start: undefined,
    bound: before(source.ids),
    done: false,
  }));
  const matched: SearchItem[] = [];
  let counting = false;

  const read = async (state: SourceState, limit: number) => {
    const input: QueryCommandInput = {
      TableName: tables.jobsTable,
      IndexName: state.source.index,
      ...keyCondition(partitionKeys[state.source.index], state.source.partition, state.source.ids),
      ScanIndexForward: sign > 0,
      Limit: limit,
      ...(state.start ? { ExclusiveStartKey: state.start } : {}),
    };
    if (options.attributes) withProjection(input, options.attributes);
    const page = await tables.dynamo.send(new QueryCommand(input));
    const items = (page.Items ?? []) as SearchItem[];
    budget.charge(page.ScannedCount ?? items.length);
    for (const item of items) if (matches(item)) matched.push(item);
    const last = items.at(-1);
    if (last) state.bound = rank(last.jobId);
    state.start = page.LastEvaluatedKey;
    state.done = page.LastEvaluatedKey === undefined;
  };

  for (let round = 0; ; round += 1) {
    const open = states.filter((state) => !state.done);
    if (open.length === 0) break;
    const complete = completeCount(matched, open, rank);
    const remaining = options.wanted - complete;
    if (remaining <= 0) {
      // One round of counting: the total is exact if it reaches every source's end, else unknown.
      if (counting || budget.read >= options.countUpTo) break;
      counting = true;
    }
    const batch = counting
      ? countingBatch(open, options.countUpTo - budget.read)
      : nextBatch(open, remaining / matchRate(matched.length, budget.read), round, options);
    await forEachLimited(batch, options.concurrency, ({ state, limit }) => read(state, limit));
  }

  const order = [...matched].sort((a, b) => rank(a.jobId) - rank(b.jobId));
  const done = states.every((state) => state.done);
  return { items: order.slice(0, options.wanted), total: done ? order.length : undefined };
}

/** How many matching jobs rank at or below every open source's bound (nothing unread is among them). */
function completeCount(
  matched: readonly SearchItem[],
  open: readonly SourceState[],
  rank: (id: number) => number,
) {
  const edge = Math.min(...open.map((state) => state.bound));
  let count = 0;
  for (const item of matched) if (rank(item.jobId) <= edge) count += 1;
  return count;
}

/** A last round that reads what the counting bound has left, shared by the open sources. */
function countingBatch(open: readonly SourceState[], left: number) {
  const limit = Math.min(jobsPerVoBlock, Math.max(1, Math.ceil(left / open.length)));
  return [...open]
    .sort((a, b) => a.bound - b.bound)
    .slice(0, Math.max(1, Math.ceil(left / limit)))
    .map((state) => ({ state, limit }));
}

/** The share of the items read so far that matched (1 before the first read; at least 1/64). */
const matchRate = (matched: number, read: number) => (read === 0 ? 1 : Math.max(matched / read, 1 / 64));

/**
 * The reads of one round, of about `toRead` items: the rows still missing over the share of items
 * that match, so a filter that matches few jobs needs few rounds. Shards: every open one, each its
 * share (at least 16 items, at most 1,000). Blocks: the least advanced, then as many more as a round
 * of `concurrency` queries holds once rounds came back short (a VO's blocks hold other VOs' ids too).
 */
function nextBatch(open: readonly SourceState[], toRead: number, round: number, options: OrderedOptions) {
  const shards = open.filter((state) => !state.source.block);
  const blocks = open.filter((state) => state.source.block).sort((a, b) => a.bound - b.bound);
  const share = Math.max(16, Math.ceil((toRead * 1.1) / Math.max(1, shards.length)));
  const batch = shards.map((state) => ({ state, limit: Math.min(share, 1000) }));
  if (shards.length === 0) {
    const count = Math.min(blocks.length, 2 ** Math.min(round, 4), options.concurrency);
    const limit = Math.min(jobsPerVoBlock, Math.max(Math.ceil(toRead) + 1, 50));
    for (const state of blocks.slice(0, count)) batch.push({ state, limit });
  }
  return batch;
}
