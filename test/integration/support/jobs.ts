/** Helpers for job tests over the embedded runtime's HTTP API. */
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { bodyOf, type TestRuntime } from '#test/integration/support/runtime.ts';

export const readYaml = (path: string) => parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

export type Role = 'user' | 'admin' | 'pilot';

export async function submitJdl(
  runtime: TestRuntime,
  jdls: string[],
  as: Role = 'user',
  headers: Record<string, string> = {},
) {
  const response = await runtime.api('/api/jobs/jdl', { method: 'POST', json: jdls, as, headers });
  return { status: response.status, body: (await response.json()) as unknown };
}

export async function jobIdsOf(response: { status: number; body: unknown }): Promise<number[]> {
  if (response.status !== 201)
    throw new Error(`submission failed: ${response.status} ${JSON.stringify(response.body)}`);
  return (response.body as { JobID: number }[]).map((job) => job.JobID);
}

export async function getJob(runtime: TestRuntime, jobId: number, as: Role = 'user') {
  const response = await runtime.api(`/api/jobs/${jobId}`, { as });
  return { status: response.status, body: await bodyOf(response) };
}

/** Polls a job until `done` says so (or fails after `ms`). */
export async function waitForJob(
  runtime: TestRuntime,
  jobId: number,
  done: (job: Record<string, unknown>) => boolean,
  ms = 20_000,
): Promise<Record<string, unknown>> {
  const end = Date.now() + ms;
  let last: Record<string, unknown> = {};
  while (Date.now() < end) {
    last = (await getJob(runtime, jobId, 'admin')).body;
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `job ${jobId} never reached the expected state; last: ${JSON.stringify(last).slice(0, 600)}`,
  );
}

export const hasStatus =
  (...statuses: string[]) =>
  (job: Record<string, unknown>) =>
    statuses.includes(job.Status as string);

/** Submits `count` jobs of this JDL and waits until each is Waiting in its task queue; their ids. */
export async function submitWaiting(runtime: TestRuntime, jdl: string, count = 1): Promise<number[]> {
  const ids = await jobIdsOf(
    await submitJdl(
      runtime,
      Array.from({ length: count }, () => jdl),
    ),
  );
  for (const id of ids) await waitForJob(runtime, id, hasStatus('Waiting'));
  return ids;
}

/**
 * A scratch directory that payloads can read and write, as they would /tmp or a shared software
 * area: a root pilot runs each payload as a user of its own (pilot/wrapper/isolation.ts), which
 * could not reach mkdtemp's 0700 directory.
 */
export function payloadScratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o1777);
  return dir;
}
