/**
 * `GET /api/pilots/info` as a job owner sees it: a pilot runs jobs of many users, and an owner sees
 * only the jobs they may read and only their own name among the owners.
 */
import { describe, expect, it } from 'vitest';
import { properties } from '#shared/auth/identity.ts';
import type { PilotRecord } from '#shared/pilots/model.ts';
import { ownersView } from '#shared/pilots/registry.ts';

const pilot: PilotRecord = {
  pilotReference: 'pilot-1',
  pilotStamp: 'stamp',
  vo: 'lhcb',
  site: 'LCG.A.org',
  gridCE: 'ce.a.org',
  ceType: 'Local',
  resources: {},
  version: 'test',
  status: 'Running',
  statusReason: 'Registered',
  registeredAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  lastSeenAt: '2026-01-01T00:00:00Z',
  secretHash: 'ab'.repeat(32),
  jobIds: [3, 5, 8],
  owners: ['lhcb/alice', 'lhcb/bob'],
};
const alice = {
  vo: 'lhcb',
  sub: 'lhcb:alice',
  username: 'alice',
  group: 'lhcb_user',
  properties: [properties.normalUser],
};

describe("an owner's view of a pilot", () => {
  it('keeps only the jobs the owner may read and only their own name', () => {
    const view = ownersView(alice, pilot, new Set([5]));
    expect(view.jobIds).toEqual([5]);
    expect(view.owners).toEqual(['lhcb/alice']);
    expect(view).toMatchObject({ pilotReference: 'pilot-1', site: 'LCG.A.org', status: 'Running' });
    expect(view).not.toHaveProperty('secretHash');
  });

  it('shows no job when none is readable', () => {
    expect(ownersView(alice, pilot, new Set()).jobIds).toEqual([]);
  });
});
