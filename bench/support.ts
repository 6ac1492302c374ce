/** Shared pieces of the benchmarks: a runtime in a temp home, percentiles, machine description. */

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { queryPages } from '#shared/aws/dynamo.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { JobStatus } from '#shared/jobs/status.ts';
import { statusPartitions } from '#shared/jobs/store/keys.ts';
import { createLogger, type Logger } from '#shared/log.ts';

export async function benchRuntime(
  options: { config?: MuonConfig; inMemory?: boolean; pilots?: boolean; logger?: Logger } = {},
): Promise<LocalRuntime & { cleanup: () => Promise<void>; home: string }> {
  const home = mkdtempSync(join(tmpdir(), 'muon-bench-'));
  const runtime = await startLocalRuntime({
    config: options.config ?? loadConfigFile('config/muon.yaml'),
    home,
    port: 0,
    inMemory: options.inMemory ?? false,
    ...(options.pilots ? { pilots: true } : {}),
    logger:
      options.logger ?? createLogger({ level: 'error', write: (line) => process.stderr.write(`${line}\n`) }),
  });
  return {
    ...runtime,
    home,
    cleanup: async () => {
      await runtime.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export const machine = () => ({
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
});

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * A POST as the user. A submission the job manager stopped within its time budget (202) is sent
 * again with the Idempotency-Key it answered until it is complete, as the CLI does (docs/jobs.md).
 */
export async function api(
  runtime: LocalRuntime,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  let sent = headers;
  for (;;) {
    const response = await fetch(`${runtime.apiUrl}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${runtime.tokens.user}`,
        'content-type': 'application/json',
        ...sent,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${text.slice(0, 500)}`);
    const key = response.status === 202 ? response.headers.get('idempotency-key') : null;
    if (!key) return JSON.parse(text) as unknown;
    sent = { ...headers, 'idempotency-key': key };
  }
}

/** Jobs of one VO in one status, counted on every shard of the jobs table's `byStatus` index. */
export async function countByStatus(runtime: LocalRuntime, vo: string, status: JobStatus) {
  let count = 0;
  for (const partition of statusPartitions(vo, status)) count += await countPartition(runtime, partition);
  return count;
}

async function countPartition(runtime: LocalRuntime, partition: string) {
  let count = 0;
  const pages = queryPages(runtime.aws.dynamo, {
    TableName: runtime.resources.tables.jobs,
    IndexName: 'byStatus',
    KeyConditionExpression: 'statusKey = :k',
    ExpressionAttributeValues: { ':k': partition },
    Select: 'COUNT',
  });
  for await (const page of pages) count += page.Count ?? 0;
  return count;
}
