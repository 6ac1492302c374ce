/**
 * Every key of the sandboxes table is built here and nowhere else.
 *
 * A sandbox is one item, `SANDBOX#<object key>` / `SANDBOX`: the object key already names the owner
 * and the checksum, so registering the same content twice finds the same item. An assignment is
 * one item in its job's partition, `ENTITY#Job:<id>` / `ASSIGNED#<Input|Output>#<object key>`, so
 * a job's sandboxes are one query and assigning twice writes the same item.
 */
import type { SandboxAssignment, SandboxKind, SandboxRecord } from '#shared/sandboxes/model.ts';

export const sandboxItemKey = (key: string) => ({ pk: `SANDBOX#${key}`, sk: 'SANDBOX' });

/** DIRAC's entity id of a job in `sb_EntityMapping`. */
export const entityId = (jobId: number) => `Job:${jobId}`;
export const entityPartition = (jobId: number) => `ENTITY#${entityId(jobId)}`;
export const assignmentSortPrefix = 'ASSIGNED#';

export const assignmentItemKey = (jobId: number, kind: SandboxKind, key: string) => ({
  pk: entityPartition(jobId),
  sk: `${assignmentSortPrefix}${kind}#${key}`,
});

export function fromSandboxItem(item: Record<string, unknown>): SandboxRecord {
  const { pk: _pk, sk: _sk, vo, ownerGroup, owner, ...rest } = item;
  return {
    ...(rest as Omit<SandboxRecord, 'owner'>),
    owner: { vo: vo as string, group: ownerGroup as string, user: owner as string },
  };
}

export const assignmentItem = (assignment: SandboxAssignment) => ({
  ...assignmentItemKey(assignment.jobId, assignment.kind, assignment.key),
  entityId: entityId(assignment.jobId),
  ...assignment,
});

export function fromAssignmentItem(item: Record<string, unknown>): SandboxAssignment {
  const { pk: _pk, sk: _sk, entityId: _entity, ...assignment } = item;
  return assignment as unknown as SandboxAssignment;
}
