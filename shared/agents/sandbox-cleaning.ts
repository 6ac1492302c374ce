/**
 * The sandbox half of the JobCleaning agent (DIRAC's sandbox purge): a sandbox goes, object and
 * metadata, when it was never assigned to a job and went unused for `orphanSandboxAfterSeconds`
 * (an upload nobody submitted), or when the jobs it was assigned to are all removed and it went
 * unused for `releasedSandboxAfterSeconds`. "Unused" is its `lastAccessTime`: registering the same
 * content again, a download and an executor's lookup all refresh it, and a refresh between the
 * agent's read and its delete keeps the sandbox.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Budget, walk } from '#shared/agents/sweep.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { tables } from '#shared/resources.ts';
import { deleteSandboxAsRead, hasAssignments } from '#shared/sandboxes/store/remove-sandboxes.ts';

export interface SandboxCleaningDeps {
  readonly config: MuonConfig;
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sandboxesTable: string;
  readonly countersTable: string;
  readonly bucket: string;
}

export interface SandboxSeen {
  readonly key: string;
  readonly lastAccessTime: string;
  readonly assigned: boolean;
}

/**
 * Whether a sandbox may go as of `now`, before asking whether jobs still hold it: `'ifUnassigned'`
 * when it was assigned once and that question decides.
 */
export function sandboxVerdict(
  sandbox: Pick<SandboxSeen, 'lastAccessTime' | 'assigned'>,
  settings: MuonConfig['agents']['cleaning'],
  now: number,
): 'keep' | 'remove' | 'ifUnassigned' {
  const unusedFor = now - Date.parse(sandbox.lastAccessTime);
  if (!sandbox.assigned) return unusedFor > settings.orphanSandboxAfterSeconds * 1000 ? 'remove' : 'keep';
  return unusedFor > settings.releasedSandboxAfterSeconds * 1000 ? 'ifUnassigned' : 'keep';
}

export async function removeUnusedSandboxes(
  deps: SandboxCleaningDeps,
  budget: Budget,
  now: number,
): Promise<{ examined: number; removed: number }> {
  const settings = deps.config.agents.cleaning;
  const run = { examined: 0, removed: 0 };
  // The index holds sandboxes oldest access first: only those unused for the shorter delay are read.
  const newest =
    now - Math.min(settings.orphanSandboxAfterSeconds, settings.releasedSandboxAfterSeconds) * 1000;
  for (const vo of Object.keys(deps.config.virtualOrganizations)) {
    const target = {
      cursor: `cleaning#sandboxes#${vo}`,
      table: deps.sandboxesTable,
      definition: tables.sandboxes,
      index: { name: 'byLastAccess', partition: vo },
      sortBelow: new Date(newest).toISOString(),
    };
    run.examined += await walk(deps, target, budget, async (item) => {
      const seen: SandboxSeen = {
        key: item.key as string,
        lastAccessTime: item.lastAccessTime as string,
        assigned: item.assigned === true,
      };
      const verdict = sandboxVerdict(seen, settings, now);
      if (verdict === 'keep') return 'skipped';
      if (verdict === 'ifUnassigned' && (await hasAssignments(deps.dynamo, deps.sandboxesTable, seen.key)))
        return 'skipped';
      if (!(await deleteSandboxAsRead(deps.dynamo, deps.sandboxesTable, seen))) return 'skipped';
      // Metadata first, conditionally: a sandbox in use again keeps its object; a crash between the
      // two deletes leaves an object nothing names, never a name without its object.
      await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: seen.key }));
      run.removed += 1;
      return 'changed';
    });
  }
  return run;
}
