/**
 * Job access as DIRAC's JobPolicy decides it: who may read, manage, reschedule, report on and set
 * the status of which job, and whose jobs a search covers. One table of identity × job × action.
 */
import { describe, expect, it } from 'vitest';
import { type Identity, properties } from '#shared/auth/identity.ts';
import { type AccessedJob, type JobAction, mayAccess, searchScope } from '#shared/jobs/access.ts';
import { planRead } from '#shared/jobs/search/plan.ts';
import { compileFilters } from '#shared/jobs/search/query.ts';

const vo = 'lhcb';
const person = (username: string, group: string, props: string[]): Identity => ({
  vo,
  sub: `${vo}:${username}`,
  username,
  group,
  properties: props,
});

const alice = person('alice', 'lhcb_user', [properties.normalUser]);
/** Alice under another of her groups: her lhcb_user jobs are not hers to act on from there. */
const aliceAsProd = person('alice', 'lhcb_prod', [properties.normalUser]);
const bob = person('bob', 'lhcb_user', [properties.normalUser]);
const carol = person('carol', 'lhcb_user', [properties.normalUser, properties.jobSharing]);
const dave = person('dave', 'lhcb_prod', [properties.normalUser, properties.jobSharing]);
const admin = person('root', 'lhcb_admin', [properties.jobAdministrator]);
const otherVoAdmin: Identity = { ...admin, vo: 'atlas' };
const noRights = person('alice', 'lhcb_user', []);
const pilot: Identity = {
  ...person('pilot', 'lhcb_pilot', [properties.genericPilot]),
  pilotReference: 'pilot-1',
};
const otherPilot: Identity = { ...pilot, pilotReference: 'pilot-2' };
const unboundPilot = person('pilot', 'lhcb_pilot', [properties.genericPilot]);
/** A payload token of job 7, run by pilot-1: alice's name and group, no properties. */
const payload7: Identity = { ...alice, properties: [], pilotReference: 'pilot-1', jobId: 7 };
const payload7ElsewhereHeld: Identity = { ...payload7, pilotReference: 'pilot-2' };

const job: AccessedJob = { jobId: 7, vo, owner: 'alice', ownerGroup: 'lhcb_user', pilotReference: 'pilot-1' };
const otherJob: AccessedJob = { ...job, jobId: 8 };
const atlasJob: AccessedJob = { ...job, vo: 'atlas' };

const actions: JobAction[] = ['read', 'manage', 'reschedule', 'report', 'status'];
type Row = [name: string, identity: Identity, job: AccessedJob, allowed: JobAction[]];
const table: Row[] = [
  ['the owner, under the group it submitted with', alice, job, ['read', 'manage', 'reschedule', 'report']],
  ['the owner, under another group', aliceAsProd, job, []],
  ['another user of the group', bob, job, []],
  ['a JobSharing member of the group', carol, job, ['read', 'manage', 'reschedule', 'report']],
  ['a JobSharing member of another group', dave, job, []],
  ['a token of the owner without NormalUser', noRights, job, []],
  ['an administrator of the VO', admin, job, actions],
  ['an administrator of another VO', otherVoAdmin, job, []],
  ['the pilot holding the job', pilot, job, ['reschedule', 'report', 'status']],
  ['another pilot', otherPilot, job, []],
  ['an unbound pilot', unboundPilot, job, []],
  [
    'the payload token of the job, while its pilot holds it',
    payload7,
    job,
    ['read', 'reschedule', 'report', 'status'],
  ],
  ['the payload token of the job, once another pilot holds it', payload7ElsewhereHeld, job, []],
  ['the payload token of the job, for another job of its owner', payload7, otherJob, []],
  ["the owner, for the job's twin in another VO", alice, atlasJob, []],
  ['an administrator, for a job of another VO', admin, atlasJob, []],
];

describe('job access (JobPolicy)', () => {
  it.each(table)('%s may %j', (_, identity, accessed, allowed) => {
    const granted = actions.filter((action) => mayAccess(identity, accessed, action));
    expect(granted).toEqual(allowed);
  });

  it('gives owner rights nothing when the caller holds less than the owner group', () => {
    const { ownerGroup: _group, ...withoutGroup } = job;
    expect(mayAccess(alice, withoutGroup, 'read')).toBe(false);
  });
});

describe('search scope', () => {
  it.each([
    [
      'a normal user: their jobs under their current group',
      alice,
      { vo, owner: 'alice', ownerGroup: 'lhcb_user' },
    ],
    ['a JobSharing member: their whole group', carol, { vo, ownerGroup: 'lhcb_user' }],
    ['an administrator: the whole VO', admin, { vo }],
    ['a pilot: nothing', pilot, { vo, none: true }],
    ['a payload token: nothing', payload7, { vo, none: true }],
    ['a token without rights: nothing', noRights, { vo, none: true }],
  ])('covers for %s', (_, identity, scope) => {
    expect(searchScope(identity)).toEqual(scope);
  });
});

describe('search plan under a scope', () => {
  it('reads nothing for a scope that covers nothing, whatever the filters', () => {
    expect(planRead({ vo, none: true }, []).kind).toBe('none');
    expect(
      planRead({ vo, none: true }, compileFilters([{ parameter: 'JobID', operator: 'eq', value: 7 }])).kind,
    ).toBe('none');
  });

  it("reads a normal user's own index partition, and a JobSharing member's group by status or VO", () => {
    expect(planRead(searchScope(alice), [])).toMatchObject({ kind: 'byOwner', owners: ['alice'] });
    expect(planRead(searchScope(carol), []).kind).toBe('byVo');
  });
});
