/**
 * Transformations in integration tests: catalogued input files (uploaded to LOCAL-DISK and
 * registered with metadata, as `muon data add` does), submission, and waiting for a state.
 */
import { vi } from 'vitest';
import type { TransformationRecord } from '#shared/transformations/model.ts';
import { put } from '#test/integration/support/identities.ts';
import { bodyOf, type TestRuntime } from '#test/integration/support/runtime.ts';

export const aliceHome = '/vo.example.org/user/a/alice';

/** A transformation item as the service writes it, alice's, for tests that write it themselves. */
export function transformationRecord(
  transformationId: number,
  fields: Partial<TransformationRecord> & Pick<TransformationRecord, 'state' | 'workflowId'>,
): TransformationRecord {
  const time = new Date().toISOString();
  return {
    transformationId,
    vo: 'vo.example.org',
    owner: 'alice',
    ownerSub: 'alice',
    ownerGroup: 'user',
    name: `t-${transformationId}`,
    type: 'MCSimulation',
    groupSize: 1,
    plugin: 'Standard',
    outputMetadata: {},
    maxReset: 3,
    hints: {},
    createdAt: time,
    updatedAt: time,
    lastTaskId: 0,
    ...fields,
  };
}

/** Uploads and registers each file with its metadata; the catalog sends its events. */
export async function catalogFiles(
  runtime: TestRuntime,
  files: readonly { lfn: string; text: string; meta: Record<string, string | number> }[],
): Promise<void> {
  for (const file of files) {
    const target = await bodyOf(
      await runtime.api('/api/data/upload', {
        method: 'POST',
        json: { LFN: file.lfn, SE: 'LOCAL-DISK', Size: file.text.length },
      }),
    );
    await put(target, file.text);
    const registered = await runtime.api('/api/data/register', {
      method: 'POST',
      json: {
        LFN: file.lfn,
        SE: 'LOCAL-DISK',
        PFN: target.pfn,
        Size: file.text.length,
        Checksum: `adler32:${adler32(file.text)}`,
        Metadata: file.meta,
      },
    });
    if (registered.status !== 204) throw new Error(`register ${file.lfn}: ${await registered.text()}`);
  }
}

function adler32(text: string): string {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(text)) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a).toString(16).padStart(8, '0').replace(/^-/, '');
}

export async function submitTransformation(
  runtime: TestRuntime,
  spec: Record<string, unknown>,
): Promise<number> {
  const response = await runtime.api('/api/transformations', { method: 'POST', json: spec });
  const body = await bodyOf(response);
  if (response.status !== 201) throw new Error(`submit: ${response.status} ${JSON.stringify(body)}`);
  return body.transformationId as number;
}

export async function transformationStatus(
  runtime: TestRuntime,
  id: number,
): Promise<Record<string, unknown>> {
  return bodyOf(await runtime.api(`/api/transformations/${id}`));
}

export async function waitForState(runtime: TestRuntime, id: number, state: string, timeout = 90_000) {
  return vi.waitFor(
    async () => {
      const status = await transformationStatus(runtime, id);
      if (status.state !== state)
        throw new Error(
          `transformation ${id} is ${status.state}: ${JSON.stringify(status.files)} ${JSON.stringify(status.jobs)}`,
        );
      return status;
    },
    { timeout, interval: 500 },
  );
}

export async function allFiles(runtime: TestRuntime, id: number): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let next: string | undefined;
  do {
    const page = await bodyOf(
      await runtime.api(`/api/transformations/${id}/files?limit=1000${next ? `&next=${next}` : ''}`),
    );
    out.push(...(page.files as Record<string, unknown>[]));
    next = page.next as string | undefined;
  } while (next);
  return out;
}

export async function allTasks(runtime: TestRuntime, id: number): Promise<Record<string, unknown>[]> {
  const page = await bodyOf(await runtime.api(`/api/transformations/${id}/tasks?limit=1000`));
  return page.tasks as Record<string, unknown>[];
}

/** A CWL tool that concatenates its File[] input into out.txt, a File output. */
export const concatTool = {
  cwlVersion: 'v1.2',
  class: 'CommandLineTool',
  baseCommand: 'cat',
  inputs: { files: { type: 'File[]', inputBinding: { position: 1 } } },
  stdout: 'out.txt',
  outputs: { out: { type: 'stdout' } },
};

/**
 * Exactly once, from the API: every file is Processed in exactly one Done task whose job is Done,
 * or Problematic in none; no file is left Unused or Assigned. Returns the files by status.
 */
export async function assertExactlyOnce(runtime: TestRuntime, id: number): Promise<Record<string, string[]>> {
  const files = await allFiles(runtime, id);
  const tasks = await allTasks(runtime, id);
  const byStatus: Record<string, string[]> = {};
  for (const file of files) {
    const status = file.status as string;
    byStatus[status] = [...(byStatus[status] ?? []), file.lfn as string];
  }
  const problems: string[] = [];
  for (const file of files) {
    const done = tasks.filter(
      (t) => t.status === 'Done' && (t.lfns as string[]).includes(file.lfn as string),
    );
    if (file.status === 'Processed' && done.length !== 1)
      problems.push(`${file.lfn} is in ${done.length} Done tasks`);
    if (file.status === 'Problematic' && done.length !== 0)
      problems.push(`${file.lfn} is Problematic yet Done`);
    if (file.status === 'Unused' || file.status === 'Assigned')
      problems.push(`${file.lfn} is ${file.status}`);
  }
  for (const task of tasks.filter((t) => t.status === 'Done')) {
    const job = await bodyOf(await runtime.api(`/api/jobs/${task.jobId}`));
    if (job.Status !== 'Done') problems.push(`task ${task.taskId}'s job ${task.jobId} is ${job.Status}`);
  }
  if (problems.length > 0) throw new Error(`not exactly once:\n${problems.join('\n')}`);
  return byStatus;
}

/** A tool that fails on files reading "always", and the first time on files reading "once". */
export function flakyTool(scratch: string) {
  const script = [
    'for f in "$@"; do',
    // Backquotes, not $(...): CWL would read that as a parameter reference.
    '  case "`cat "$f"`" in',
    '    always*) echo "bad input $f" >&2; exit 3;;',
    `    once*) m="${scratch}/\`basename "$f"\`.failed"; if [ ! -e "$m" ]; then touch "$m"; exit 3; fi;;`,
    '    slow*) sleep 4;;',
    '  esac',
    'done',
    'cat "$@" > out.txt',
  ].join('\n');
  return {
    cwlVersion: 'v1.2',
    class: 'CommandLineTool',
    baseCommand: ['sh', '-c', script, 'flaky'],
    inputs: { files: { type: 'File[]', inputBinding: { position: 1 } } },
    outputs: { out: { type: 'File', outputBinding: { glob: 'out.txt' } } },
  };
}
