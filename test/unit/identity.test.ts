import { describe, expect, it } from 'vitest';
import { flattenClaims, identityFromClaims, parseListClaim } from '#shared/auth/identity.ts';

describe('identity from token claims', () => {
  it('reads list claims as API Gateway flattens them', () => {
    expect(parseListClaim('[NormalUser JobAdministrator]')).toEqual(['NormalUser', 'JobAdministrator']);
    expect(parseListClaim(['GenericPilot'])).toEqual(['GenericPilot']);
    expect(parseListClaim('[]')).toEqual([]);
  });

  it('round-trips through the flattened form', () => {
    const claims = flattenClaims({
      vo: 'lhcb',
      sub: 'lhcb:1',
      preferred_username: 'bob',
      dirac_group: 'lhcb_user',
      dirac_properties: ['NormalUser'],
      exp: 5,
    });
    expect(identityFromClaims(claims)).toEqual({
      vo: 'lhcb',
      sub: 'lhcb:1',
      username: 'bob',
      group: 'lhcb_user',
      properties: ['NormalUser'],
    });
  });
});
