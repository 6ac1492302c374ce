/**
 * A job's payload token, as its job wrapper holds it: the one the matcher handed out with the job,
 * renewed through `POST /api/jobs/{jobId}/token` (with the pilot credential) once less than 20% of
 * its lifetime is left, or when the API refused it (401). Concurrent callers share one renewal, as
 * the pilot's own token does (pilot/token.ts). The token stays in the pilot's memory: the payload
 * never sees it (docs/pilots.md, Payload isolation).
 */
import type { PayloadTokenGrant } from '#pilot/api.ts';
import { type HeldToken, renewBeforeShare, renewingToken, type TokenSource } from '#pilot/token.ts';

export interface PayloadTokenOptions {
  /** Milliseconds since the epoch (tests). */
  readonly now?: () => number;
}

/**
 * `first` is the matcher's grant (absent or empty: a token is asked for at the first call);
 * `renew` asks the API for a new one.
 */
export function payloadTokenSource(
  first: Partial<PayloadTokenGrant>,
  renew: () => Promise<PayloadTokenGrant>,
  options: PayloadTokenOptions = {},
): TokenSource {
  const now = options.now ?? Date.now;
  const held = (grant: Partial<PayloadTokenGrant>, since: number): HeldToken | undefined => {
    if (!grant.PayloadToken) return undefined;
    const expires = Date.parse(grant.PayloadTokenExpiresAt ?? '');
    // Without a readable expiry the token is used until the API refuses it.
    const renewAt = Number.isFinite(expires)
      ? expires - Math.max(0, expires - since) * renewBeforeShare
      : Number.POSITIVE_INFINITY;
    return { token: grant.PayloadToken, renewAt };
  };
  const obtain = async (): Promise<HeldToken> => {
    const asked = now();
    const token = held(await renew(), asked);
    if (token === undefined) throw new Error('the API answered no payload token');
    return token;
  };
  const matched = held(first, now());
  return renewingToken(obtain, { now, ...(matched ? { first: matched } : {}) });
}
