/**
 * How a search reads the jobs table, cheapest first:
 *
 * 1. `jobIds`: a JobID `eq`/`in` condition names the jobs; one BatchGet per hundred ids.
 * 2. `byOwner`: the caller may only see their own jobs, or an Owner `eq`/`in` condition names the
 *    owners; one Query on `byOwner` (`<vo>#<owner>#<shard>`) per owner and shard.
 * 3. `byStatus`: a Status `eq`/`in` condition; one Query on `byStatus` (`<vo>#<status>#<shard>`)
 *    per status and shard (the shards: shared/jobs/store/keys.ts).
 * 4. `byVo`: anything else walks the VO's `byVo` blocks (`<vo>#<id / 1000>`) from the first block up
 *    to the block of the highest job id ever allocated (the job-id counter).
 *
 * JobID `gt`/`lt` conditions become a key condition on the indexes' `jobId` sort key and bound the
 * blocks walked. Every condition is then applied in code, so every operator works on every column;
 * the VO scope, and a normal user's owner and group scope, are always applied too: no search sees
 * another VO's jobs, whoever asks.
 *
 * Known limit: a search reads at most `maxItemsRead` items (200,000 by default) and walks at most
 * `maxVoBlocks` blocks (5,000, i.e. five million job ids); beyond either it is refused with a 400
 * asking for a filter on Status, Owner or JobID, rather than running into the function's timeout.
 * Results are sorted and paged in memory, so the bound is also what keeps memory in check. A page
 * sorted by JobID alone reads the same partitions in job-id order and stops once it has its rows
 * (`planSources`, ordered.ts), instead of reading every job that matches.
 */

import { forEachLimited } from '#shared/concurrency.ts';
import { type JobColumn, jobColumns } from '#shared/jobs/model.ts';
import { type JobStatus, jobStatuses } from '#shared/jobs/status.ts';
import {
  jobsPerVoBlock,
  ownerPartitions,
  statusPartitions,
  voBlock,
  voKey,
} from '#shared/jobs/store/keys.ts';
import type { OrderedSource } from './ordered.ts';
import type { Filter } from './query.ts';
import {
  batchGetSearchable,
  highestJobId,
  type IdRange,
  type JobTables,
  queryPartition,
  ReadBudget,
  type SearchItem,
  tooBroad,
} from './read.ts';

/**
 * Whose jobs a caller may search (`searchScope`): always one VO; a normal user's own jobs under the
 * group they hold now (owner and group); a JobSharing member's group; nothing at all for callers
 * without search rights (pilots, payload tokens).
 */
export interface SearchScope {
  readonly vo: string;
  readonly owner?: string;
  readonly ownerGroup?: string;
  readonly none?: true;
}

export interface SearchLimits {
  /** Items read from DynamoDB per search before it is refused. */
  readonly maxItemsRead: number;
  /** `byVo` blocks walked per search before it is refused. */
  readonly maxVoBlocks: number;
  /** Queries in flight at once. */
  readonly concurrency: number;
  /**
   * Items a page in JobID order (ordered.ts) reads, past its own rows, to count the total; beyond
   * it the total is unknown (`Content-Range: jobs 0-99/*`).
   */
  readonly countUpTo?: number;
}

export const defaultCountUpTo = 1_000;

export const defaultSearchLimits: SearchLimits = {
  maxItemsRead: 200_000,
  maxVoBlocks: 5_000,
  concurrency: 16,
  countUpTo: defaultCountUpTo,
};

export type ReadPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'jobIds'; readonly jobIds: readonly number[] }
  | { readonly kind: 'byOwner'; readonly owners: readonly string[]; readonly range: IdRange }
  | { readonly kind: 'byStatus'; readonly statuses: readonly JobStatus[]; readonly range: IdRange }
  | { readonly kind: 'byVo'; readonly range: IdRange };

export function planRead(scope: SearchScope, filters: readonly Filter[]): ReadPlan {
  if (scope.none) return { kind: 'none' };
  const range = idRange(filters);
  if (range.low !== undefined && range.high !== undefined && range.low > range.high) return { kind: 'none' };

  const ids = named(filters, 'JobID');
  if (ids) {
    const jobIds = (ids as number[]).filter(
      (id) => Number.isInteger(id) && id > 0 && id >= (range.low ?? 0) && id <= (range.high ?? Infinity),
    );
    return jobIds.length === 0 ? { kind: 'none' } : { kind: 'jobIds', jobIds };
  }
  const owners = intersect([named(filters, 'Owner'), scope.owner === undefined ? undefined : [scope.owner]]);
  if (owners)
    return owners.length === 0 ? { kind: 'none' } : { kind: 'byOwner', owners: owners as string[], range };
  const statuses = named(filters, 'Status');
  if (statuses) {
    const known = statuses.filter((s): s is JobStatus => (jobStatuses as readonly unknown[]).includes(s));
    return known.length === 0 ? { kind: 'none' } : { kind: 'byStatus', statuses: known, range };
  }
  return { kind: 'byVo', range };
}

export interface ReadResult {
  readonly plan: ReadPlan;
  /** The jobs in scope that meet every condition, in no particular order. */
  readonly items: readonly SearchItem[];
  /** Items read from DynamoDB. */
  readonly read: number;
}

export async function readJobs(
  tables: JobTables,
  scope: SearchScope,
  filters: readonly Filter[],
  limits: SearchLimits = defaultSearchLimits,
  /** The columns the caller uses, when not all of them: an index read returns only those. */
  columns?: readonly JobColumn[],
): Promise<ReadResult> {
  const plan = planRead(scope, filters);
  const budget = new ReadBudget(limits.maxItemsRead);
  const items: SearchItem[] = [];
  const matches = searchMatcher(scope, filters);
  const attributes = columns && [
    ...new Set([
      ...scopeAttributes,
      ...columns.map((column) => jobColumns[column]),
      ...filters.map(columnAttribute),
    ]),
  ];
  const keep = (item: SearchItem) => {
    if (matches(item)) items.push(item);
  };
  if (plan.kind === 'jobIds') {
    for (const item of await batchGetSearchable(tables, plan.jobIds, budget)) keep(item);
  } else {
    // Every index partition the plan names, read all at once (the order of a page comes later).
    const sources = (await planSources(tables, scope, plan, limits)) ?? [];
    await forEachLimited(sources, limits.concurrency, (source) =>
      queryPartition(tables, source.index, source.partition, source.ids, budget, keep, attributes),
    );
  }
  return { plan, items, read: budget.read };
}

/** The VO's blocks that can hold ids in `range`, up to the highest id allocated. */
async function voBlocks(tables: JobTables, range: IdRange, limits: SearchLimits) {
  const high = Math.min(range.high ?? Infinity, await highestJobId(tables));
  const first = voBlock(Math.max(range.low ?? 0, 0));
  const last = voBlock(high);
  if (high < 0 || last < first) return [];
  if (last - first + 1 > limits.maxVoBlocks) throw tooBroad();
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/**
 * The index partitions a plan reads, as sources of a read in job-id order (ordered.ts); none for
 * the plans that read no index (named jobs, or nothing).
 */
export async function planSources(
  tables: JobTables,
  scope: SearchScope,
  plan: ReadPlan,
  limits: SearchLimits = defaultSearchLimits,
): Promise<OrderedSource[] | undefined> {
  switch (plan.kind) {
    case 'none':
    case 'jobIds':
      return undefined;
    case 'byOwner':
      return plan.owners.flatMap((owner) =>
        ownerPartitions(scope.vo, owner).map((partition) => ({
          index: 'byOwner',
          partition,
          ids: plan.range,
        })),
      );
    case 'byStatus':
      return plan.statuses.flatMap((status) =>
        statusPartitions(scope.vo, status).map((partition) => ({
          index: 'byStatus',
          partition,
          ids: plan.range,
        })),
      );
    case 'byVo':
      return (await voBlocks(tables, plan.range, limits)).map((block) => ({
        index: 'byVo',
        partition: voKey(scope.vo, block),
        ids: {
          low: Math.max(plan.range.low ?? 0, block * jobsPerVoBlock),
          high: Math.min(plan.range.high ?? Infinity, (block + 1) * jobsPerVoBlock - 1),
        },
        block: true,
      }));
  }
}

/** Whether a job read from an index is in the caller's scope and meets every condition. */
export const searchMatcher =
  (scope: SearchScope, filters: readonly Filter[]) =>
  (item: SearchItem): boolean =>
    inScope(scope, item) && filters.every((filter) => filter.test(item[columnAttribute(filter)]));

/** What `inScope` reads, besides the job id. */
export const scopeAttributes = ['jobId', 'vo', 'owner', 'ownerGroup'];

const inScope = (scope: SearchScope, item: SearchItem) =>
  !scope.none &&
  item.vo === scope.vo &&
  (scope.owner === undefined || item.owner === scope.owner) &&
  (scope.ownerGroup === undefined || item.ownerGroup === scope.ownerGroup);

const columnAttribute = (filter: Filter) => jobColumns[filter.column];

/** The values an `eq`/`in` condition allows on `column` (intersected over conditions), if any. */
function named(filters: readonly Filter[], column: Filter['column']) {
  return intersect(
    filters
      .filter((filter) => filter.column === column && (filter.operator === 'eq' || filter.operator === 'in'))
      .map((filter) => filter.values),
  );
}

function intersect<T>(sets: readonly (readonly T[] | undefined)[]): T[] | undefined {
  let result: T[] | undefined;
  for (const set of sets) {
    if (set === undefined) continue;
    result = result === undefined ? [...new Set(set)] : result.filter((value) => set.includes(value));
  }
  return result;
}

/** Inclusive job-id bounds implied by JobID `gt`/`lt` conditions. */
function idRange(filters: readonly Filter[]): IdRange {
  let low: number | undefined;
  let high: number | undefined;
  for (const filter of filters) {
    if (filter.column !== 'JobID') continue;
    const [value] = filter.values as number[];
    if (value === undefined) continue;
    if (filter.operator === 'gt') low = Math.max(low ?? -Infinity, Math.floor(value) + 1);
    if (filter.operator === 'lt') high = Math.min(high ?? Infinity, Math.ceil(value) - 1);
  }
  return { ...(low === undefined ? {} : { low }), ...(high === undefined ? {} : { high }) };
}
