import { describe, expect, it } from 'vitest';
import type { SandboxAssignment } from '#shared/sandboxes/model.ts';
import {
  assignmentItem,
  assignmentItemKey,
  entityId,
  fromAssignmentItem,
  fromSandboxItem,
  sandboxItemKey,
} from '#shared/sandboxes/store/keys.ts';

const key = `sandboxes/vo/user/alice/sha256:${'0'.repeat(64)}.tar.gz`;

describe('Sandbox table keys', () => {
  it('put one sandbox in one item named by its object key', () => {
    expect(sandboxItemKey(key)).toEqual({ pk: `SANDBOX#${key}`, sk: 'SANDBOX' });
  });

  it("put a job's assignments in the job's partition, one item per sandbox and kind", () => {
    expect(entityId(42)).toBe('Job:42');
    expect(assignmentItemKey(42, 'Input', key)).toEqual({ pk: 'ENTITY#Job:42', sk: `ASSIGNED#Input#${key}` });
    expect(assignmentItemKey(42, 'Output', key).sk).not.toBe(assignmentItemKey(42, 'Input', key).sk);
    expect(assignmentItemKey(42, 'Input', key).pk).not.toBe(assignmentItemKey(43, 'Input', key).pk);
  });

  it('round-trip an assignment through its item', () => {
    const assignment: SandboxAssignment = {
      jobId: 42,
      kind: 'Output',
      reference: `SB:SandboxSE|/S3/bucket/${key}`,
      key,
      assignedAt: '2026-01-01T00:00:00.000Z',
    };
    const item = assignmentItem(assignment);
    expect(item).toMatchObject({ pk: 'ENTITY#Job:42', entityId: 'Job:42' });
    expect(fromAssignmentItem(item)).toEqual(assignment);
  });

  it('read the owner of a sandbox item back as one value', () => {
    const record = fromSandboxItem({
      ...sandboxItemKey(key),
      vo: 'vo',
      ownerGroup: 'user',
      owner: 'alice',
      size: 10,
      uploaded: true,
    });
    expect(record).toMatchObject({
      owner: { vo: 'vo', group: 'user', user: 'alice' },
      size: 10,
      uploaded: true,
    });
    expect(record).not.toHaveProperty('pk');
  });
});
