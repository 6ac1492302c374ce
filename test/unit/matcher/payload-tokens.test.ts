/**
 * The matcher's payload tokens: issued with a matched job and renewed for the pilot holding it.
 */
import { describe, expect, it } from 'vitest';
import { type Identity, properties } from '#shared/auth/identity.ts';
import { createPayloadTokens } from '#shared/auth/payload-token.ts';
import { createMatcherPayloadTokens } from '#shared/matcher/payload-tokens.ts';

const pilot: Identity = {
  vo: 'lhcb',
  sub: 'lhcb:pilot',
  username: 'pilot',
  group: 'lhcb_pilot',
  properties: [properties.genericPilot],
  pilotReference: 'pilot-1',
};
const now = () => new Date('2026-12-07T10:00:00Z');

describe('Matcher payload tokens', () => {
  it('claim no job when the payload key cannot be read', async () => {
    const tokens = createMatcherPayloadTokens({
      tokens: createPayloadTokens({
        key: async () => {
          throw new Error('Secrets Manager is unreachable');
        },
        audience: 'muon',
        now,
      }),
      getJob: async () => undefined,
    });
    let claimed = 0;
    const match = async () => {
      claimed += 1;
      return { match: false } as never;
    };
    await expect(tokens.withToken(pilot, match)).rejects.toThrow('Secrets Manager is unreachable');
    expect(claimed).toBe(0);
  });
});

describe('Renewing a payload token', () => {
  it('is refused to an unbound pilot for a job no pilot holds', async () => {
    const tokens = createMatcherPayloadTokens({
      tokens: createPayloadTokens({ key: async () => new Uint8Array(32), audience: 'muon', now }),
      getJob: async (jobId) =>
        ({ jobId, vo: 'lhcb', owner: 'alice', ownerGroup: 'lhcb_user', status: 'Waiting' }) as never,
    });
    const { pilotReference: _, ...unbound } = pilot;
    await expect(tokens.renew(unbound, 7)).rejects.toMatchObject({ code: 'auth.not_job_holder' });
  });
});
