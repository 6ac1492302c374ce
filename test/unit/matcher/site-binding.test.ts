/**
 * Who may ask the matcher for a job: only a bound, registered pilot, under its own reference. An
 * administrator's token passes the pilot binding unbound, and still gets no job.
 */
import { describe, expect, it } from 'vitest';
import { type Identity, properties } from '#shared/auth/identity.ts';
import { ForbiddenError } from '#shared/errors.ts';
import { requestingPilot } from '#shared/matcher/service.ts';

const base = { vo: 'lhcb', sub: 'lhcb:x', username: 'x', group: 'lhcb_pilot' };
const pilot: Identity = { ...base, properties: [properties.genericPilot], pilotReference: 'pilot-1' };
const request = { CPUTime: 10 };

describe('the requesting pilot', () => {
  it('is the bound pilot, whether or not the body repeats its reference', () => {
    expect(requestingPilot(pilot, request)).toBe('pilot-1');
    expect(requestingPilot(pilot, { ...request, PilotReference: 'pilot-1' })).toBe('pilot-1');
  });

  it.each<[string, Identity, RegExp]>([
    ['another pilot named in the body', pilot, /PilotReference pilot-2 is not the pilot/],
    [
      'an unbound administrator',
      { ...base, group: 'lhcb_admin', properties: [properties.jobAdministrator] },
      /Only a registered pilot asks for jobs/,
    ],
    [
      'an unbound administrator that is also a pilot',
      { ...base, properties: [properties.jobAdministrator, properties.genericPilot] },
      /Only a registered pilot asks for jobs/,
    ],
    ['an unbound pilot', { ...base, properties: [properties.genericPilot] }, /Only a registered pilot/],
    ['a user', { ...base, group: 'lhcb_user', properties: [properties.normalUser] }, /Only pilots/],
    [
      "a payload token, which names its job's pilot but is no pilot",
      { ...base, properties: [], pilotReference: 'pilot-1', jobId: 7 },
      /Only pilots/,
    ],
  ])('refuses %s with a 403', (_, identity, message) => {
    const body = identity === pilot ? { ...request, PilotReference: 'pilot-2' } : request;
    expect(() => requestingPilot(identity, body)).toThrow(ForbiddenError);
    expect(() => requestingPilot(identity, body)).toThrow(message);
  });
});
