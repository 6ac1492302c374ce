/**
 * The DynamoDB reads behind a search: the job-id counter, Query on one index partition, and a
 * BatchGet of the searchable attributes of given jobs. Every item read is charged to a
 * `ReadBudget`, so a search that would read too much stops early with a 400 instead of timing out.
 */
import { type DynamoDBDocumentClient, GetCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { queryPages } from '#shared/aws/dynamo.ts';
import { BadRequestError } from '#shared/errors.ts';
import { jobColumns } from '#shared/jobs/model.ts';
import { counterKeys } from '#shared/jobs/store/keys.ts';
import { getJobItems } from '#shared/jobs/store/read-jobs.ts';

/** Where a search reads: what a route passes in, built from its granted tables. */
export interface JobTables {
  readonly dynamo: DynamoDBDocumentClient;
  readonly jobsTable: string;
  readonly countersTable: string;
}

/** A job as an index holds it: the searchable attributes, by their stored names. */
export type SearchItem = { readonly jobId: number } & Readonly<Record<string, unknown>>;

export type SearchIndex = 'byOwner' | 'byStatus' | 'byVo';
export const partitionKeys: Record<SearchIndex, string> = {
  byOwner: 'ownerKey',
  byStatus: 'statusKey',
  byVo: 'voKey',
};

/** Inclusive bounds on job ids, from JobID gt/lt conditions. */
export interface IdRange {
  readonly low?: number;
  readonly high?: number;
}

export const tooBroadMessage = 'The search reads too many jobs; add a filter on Status, Owner or JobID.';

export class ReadBudget {
  read = 0;
  constructor(readonly max: number) {}

  /** Counts `items` reads; past the bound the search is refused. */
  charge(items: number): void {
    this.read += items;
    if (this.read > this.max) throw tooBroad();
  }
}

export const tooBroad = () => new BadRequestError(tooBroadMessage, { code: 'search.too_broad' });

/** The highest job id ever allocated (0 before the first submission). */
export async function highestJobId(tables: JobTables): Promise<number> {
  const { Item } = await tables.dynamo.send(
    new GetCommand({ TableName: tables.countersTable, Key: counterKeys.jobIds, ConsistentRead: true }),
  );
  return Number(Item?.next ?? 0);
}

/** Every item of one index partition within `range`, handed to `keep` page by page. */
export async function queryPartition(
  tables: JobTables,
  index: SearchIndex,
  partition: string,
  range: IdRange,
  budget: ReadBudget,
  keep: (item: SearchItem) => void,
  attributes?: readonly string[],
): Promise<void> {
  const input: QueryCommandInput = {
    TableName: tables.jobsTable,
    IndexName: index,
    ...keyCondition(partitionKeys[index], partition, range),
  };
  if (attributes) withProjection(input, attributes);
  // A spent budget throws from charge, so no further page is read.
  for await (const page of queryPages(tables.dynamo, input)) {
    budget.charge(page.ScannedCount ?? page.Items?.length ?? 0);
    for (const item of page.Items ?? []) keep(item as SearchItem);
  }
}

/**
 * Asks a query for `attributes` only: less for DynamoDB to send and for the SDK to unmarshall
 * (a quarter of the time for a search's few attributes on the embedded runtime's dynalite).
 */
export function withProjection(input: QueryCommandInput, attributes: readonly string[]): QueryCommandInput {
  const names: Record<string, string> = { ...input.ExpressionAttributeNames };
  input.ExpressionAttributeNames = names;
  attributes.forEach((attribute, i) => {
    names[`#r${i}`] = attribute;
  });
  input.ProjectionExpression = attributes.map((_, i) => `#r${i}`).join(', ');
  return input;
}

export function keyCondition(partitionKey: string, partition: string, range: IdRange) {
  const names: Record<string, string> = { '#p': partitionKey };
  const values: Record<string, unknown> = { ':p': partition };
  let condition = '#p = :p';
  if (range.low !== undefined || range.high !== undefined) names['#id'] = 'jobId';
  if (range.low !== undefined && range.high !== undefined) {
    condition += ' AND #id BETWEEN :low AND :high';
    Object.assign(values, { ':low': range.low, ':high': range.high });
  } else if (range.low !== undefined) {
    condition += ' AND #id >= :low';
    values[':low'] = range.low;
  } else if (range.high !== undefined) {
    condition += ' AND #id <= :high';
    values[':high'] = range.high;
  }
  return {
    KeyConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

// Only what a search can show: a job's description and history can be large.
const projection = Object.values(jobColumns);
const projectionNames = Object.fromEntries(projection.map((attribute, i) => [`#a${i}`, attribute]));
const projectionExpression = Object.keys(projectionNames).join(', ');

/** The searchable attributes of the jobs among `jobIds` that exist, in no particular order. */
export async function batchGetSearchable(
  tables: JobTables,
  jobIds: readonly number[],
  budget: ReadBudget,
): Promise<SearchItem[]> {
  const unique = [...new Set(jobIds)];
  budget.charge(unique.length);
  const items = await getJobItems(tables.dynamo, tables.jobsTable, unique, {
    expression: projectionExpression,
    names: projectionNames,
  });
  return items as SearchItem[];
}
