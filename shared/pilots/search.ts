/**
 * Pilot search and summary (DIRAC's PilotManager `getPilotMonitorWeb` / `getPilotSummaryWeb`,
 * DiracX's `POST /api/pilots/search` and `/summary`): the pilots a caller may see, in the job
 * search's wire shape (`search`, `sort`, `parameters`, pages with `Content-Range: pilots a-b/N`),
 * over the pilot columns below. A VO's pilots are read through the pilots table's byStatus index,
 * one partition per status (ended pilots are purged by the PilotStatus agent, so the set stays
 * small); an administrator sees the VO's, a user those that ran their jobs.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Identity } from '#shared/auth/identity.ts';
import { BadRequestError } from '#shared/errors.ts';
import { type HttpResult, respond } from '#shared/http/route.ts';
import { likePattern, searchSpecSchema, sortSpecSchema } from '#shared/jobs/search/query.ts';
import { compareValues } from '#shared/jobs/search/rows.ts';
import { mayReadPilot } from '#shared/pilots/access.ts';
import { type PilotRecord, pilotStatuses } from '#shared/pilots/model.ts';
import { listPilotsByStatus } from '#shared/pilots/records.ts';

/** The columns of a pilot row, under PascalCase names as the job columns are. */
export const pilotColumns = {
  PilotReference: (p: PilotRecord) => p.pilotReference,
  PilotStamp: (p: PilotRecord) => p.pilotStamp,
  VO: (p: PilotRecord) => p.vo,
  Site: (p: PilotRecord) => p.site,
  GridCE: (p: PilotRecord) => p.gridCE,
  CEType: (p: PilotRecord) => p.ceType,
  Queue: (p: PilotRecord) => p.queue,
  BatchJobID: (p: PilotRecord) => p.batchJobId,
  Status: (p: PilotRecord) => p.status,
  StatusReason: (p: PilotRecord) => p.statusReason,
  Version: (p: PilotRecord) => p.version,
  Cores: (p: PilotRecord) => p.resources.cores,
  MemoryMB: (p: PilotRecord) => p.resources.memoryMb,
  SubmissionTime: (p: PilotRecord) => p.submittedAt,
  RegistrationTime: (p: PilotRecord) => p.registeredAt,
  LastSeenTime: (p: PilotRecord) => p.lastSeenAt,
  LastUpdateTime: (p: PilotRecord) => p.updatedAt,
  /** How many jobs the matcher handed to the pilot (all owners': a count reveals no job). */
  Jobs: (p: PilotRecord) => p.jobIds.length,
} as const satisfies Record<string, (p: PilotRecord) => string | number | undefined>;
export type PilotColumn = keyof typeof pilotColumns;

/** Pilots read per status at most; a VO with more live pilots than this sees the newest reads. */
const perStatusLimit = 10_000;
const maxPerPage = 10_000;

export const pilotSearchSchema = z.object({
  parameters: z.array(z.string()).nullish(),
  search: z.array(searchSpecSchema).default([]),
  sort: z.array(sortSpecSchema).default([]),
});
export const pilotSummarySchema = z.object({
  grouping: z.array(z.string()).min(1),
  search: z.array(searchSpecSchema).default([]),
});
export const pilotPageQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(maxPerPage).default(100),
});

export interface PilotTables {
  readonly dynamo: DynamoDBDocumentClient;
  readonly pilotsTable: string;
}

type Row = Record<string, string | number>;
const allColumns = Object.keys(pilotColumns) as PilotColumn[];

function column(name: string, use: string): PilotColumn {
  if (Object.hasOwn(pilotColumns, name)) return name as PilotColumn;
  throw new BadRequestError(
    `Cannot ${use} "${name}": it is not a pilot column. Valid columns are ${allColumns.join(', ')}.`,
    { code: 'search.unknown_column' },
  );
}

function condition(spec: z.infer<typeof searchSpecSchema>): (pilot: PilotRecord) => boolean {
  const read = pilotColumns[column(spec.parameter, 'filter on')];
  const where = `${spec.parameter} ${spec.operator}`;
  const vector = spec.operator === 'in' || spec.operator === 'not in';
  if (vector ? spec.values === undefined : spec.value === undefined)
    throw new BadRequestError(`${where} needs ${vector ? '"values", a list' : '"value", a single value'}.`, {
      code: 'search.invalid_query',
    });
  const values = (spec.values ?? [spec.value as string | number]).map(String);
  const [value = ''] = values;
  const text = (p: PilotRecord) => {
    const v = read(p);
    return v === undefined ? undefined : String(v);
  };
  const compare = (p: PilotRecord) =>
    compareValues(read(p), typeof read(p) === 'number' ? Number(value) : value);
  switch (spec.operator) {
    case 'eq':
      return (p) => text(p) === value;
    case 'neq':
      return (p) => text(p) !== undefined && text(p) !== value;
    case 'in':
      return (p) => values.includes(text(p) as string);
    case 'not in':
      return (p) => text(p) !== undefined && !values.includes(text(p) as string);
    case 'gt':
      return (p) => read(p) !== undefined && compare(p) > 0;
    case 'lt':
      return (p) => read(p) !== undefined && compare(p) < 0;
    case 'like':
    case 'not like': {
      const pattern = likePattern(value);
      const negate = spec.operator === 'not like';
      return (p) => text(p) !== undefined && pattern.test(text(p) as string) !== negate;
    }
    default:
      throw new BadRequestError(
        `Unknown operator "${spec.operator}" on ${spec.parameter}. Valid operators are "eq", "neq", "gt", "lt", "like", "not like", "in", "not in".`,
        { code: 'search.unknown_operator' },
      );
  }
}

/** The caller's pilots that meet every condition. */
async function matchingPilots(
  tables: PilotTables,
  identity: Identity,
  search: readonly z.infer<typeof searchSpecSchema>[],
): Promise<PilotRecord[]> {
  const tests = search.map(condition);
  const byStatus = await Promise.all(
    pilotStatuses.map((status) =>
      listPilotsByStatus(tables.dynamo, tables.pilotsTable, identity.vo, status, perStatusLimit),
    ),
  );
  return byStatus
    .flat()
    .filter((pilot) => mayReadPilot(identity, pilot) && tests.every((test) => test(pilot)));
}

export async function searchPilots(
  tables: PilotTables,
  identity: Identity,
  body: z.infer<typeof pilotSearchSchema>,
  page: number,
  perPage: number,
): Promise<HttpResult> {
  const columns = body.parameters?.length ? body.parameters.map((c) => column(c, 'return')) : allColumns;
  const sort = body.sort.map((s) => {
    if (s.direction !== 'asc' && s.direction !== 'desc')
      throw new BadRequestError(
        `Cannot sort by ${s.parameter} "${s.direction}": the direction is "asc" or "desc".`,
        {
          code: 'search.unknown_direction',
        },
      );
    return { read: pilotColumns[column(s.parameter, 'sort by')], sign: s.direction === 'asc' ? 1 : -1 };
  });
  const pilots = await matchingPilots(tables, identity, body.search);
  // Newest first unless told otherwise, then a stable order by reference.
  pilots.sort((a, b) => {
    for (const key of sort) {
      const order = compareValues(key.read(a), key.read(b)) * key.sign;
      if (order !== 0) return order;
    }
    return sort.length > 0
      ? a.pilotReference.localeCompare(b.pilotReference)
      : compareValues(b.updatedAt, a.updatedAt) || a.pilotReference.localeCompare(b.pilotReference);
  });
  const total = pilots.length;
  const first = (page - 1) * perPage;
  const rows = pilots.slice(first, first + perPage).map((pilot) => {
    const row: Row = {};
    for (const name of columns) {
      const value = pilotColumns[name](pilot);
      if (value !== undefined) row[name] = value;
    }
    return row;
  });
  if (rows.length === 0 && total > 0) return respond(416, rows, { 'content-range': `pilots */${total}` });
  if (rows.length < total)
    return respond(206, rows, { 'content-range': `pilots ${first}-${first + rows.length - 1}/${total}` });
  return respond(200, rows);
}

/** How many of the caller's pilots fall in each combination of the grouping columns. */
export async function summarizePilots(
  tables: PilotTables,
  identity: Identity,
  body: z.infer<typeof pilotSummarySchema>,
): Promise<(Row & { count: number })[]> {
  const grouping = [...new Set(body.grouping.map((c) => column(c, 'group by')))];
  const groups = new Map<string, Row & { count: number }>();
  for (const pilot of await matchingPilots(tables, identity, body.search)) {
    const values = grouping.map((name) => pilotColumns[name](pilot) ?? '');
    const key = JSON.stringify(values);
    const group = groups.get(key);
    if (group) group.count += 1;
    else
      groups.set(key, {
        ...Object.fromEntries(grouping.map((name, i) => [name, values[i] as string | number])),
        count: 1,
      });
  }
  return [...groups.values()].sort((a, b) => {
    for (const name of grouping) {
      const order = compareValues(a[name], b[name]);
      if (order !== 0) return order;
    }
    return 0;
  });
}
