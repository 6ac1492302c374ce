/**
 * Payload tokens: a short-lived bearer token scoped to one job, which the matcher hands to the
 * pilot with the job and the job wrapper uses for everything it does for that job (DiracX designed
 * this split, a pilot token only pilots hold and a job token per payload, but has not built it).
 *
 * muon signs them itself (HS256, with the payload key: a Secrets Manager secret in the cloud, a
 * 0600 file in `$MUON_HOME` locally), with its own issuer so that they can never be mistaken for
 * the identity provider's tokens. The token carries the job, its owner, owner group and VO, and
 * the pilot that holds it; the HTTP stack checks on every call that the job still belongs to that
 * pilot and is not final (shared/http/caller.ts), so a token stops working when its job ends even
 * before it expires.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { jwtVerify } from 'jose';
import { claimNames, payloadClaimNames, payloadTokenIssuer } from '#shared/auth/identity.ts';
import { describeTokenError } from '#shared/auth/token-errors.ts';

const payloadTokenUse = 'payload';

/** Default lifetime; the pilot renews a job's token before it runs out (`POST /api/jobs/{id}/token`). */
const payloadTokenSeconds = 3600;
const algorithm = 'HS256';

export interface PayloadTokenSubject {
  readonly vo: string;
  readonly jobId: number;
  readonly owner: string;
  readonly ownerGroup: string;
  /** The pilot the job was matched to. */
  readonly pilotReference: string;
}

export interface IssuedPayloadToken {
  readonly PayloadToken: string;
  readonly PayloadTokenExpiresAt: string;
}

export type TokenCheck =
  | { readonly ok: true; readonly claims: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

/** Where the payload key comes from: read once, then kept for the life of the process. */
export type PayloadKeySource = () => Promise<Uint8Array>;

export interface PayloadTokens {
  /** Reads the key now, so that work which must end with a token can fail before it starts. */
  ready(): Promise<void>;
  issue(subject: PayloadTokenSubject): Promise<IssuedPayloadToken>;
  verify(token: string): Promise<TokenCheck>;
}

export function createPayloadTokens(options: {
  readonly key: PayloadKeySource;
  /** The API's audience (the configuration's first `auth.audience`). */
  readonly audience: string;
  readonly now: () => Date;
}): PayloadTokens {
  return {
    ready: async () => {
      await options.key();
    },
    issue: async (subject) => {
      const now = Math.floor(options.now().getTime() / 1000);
      const expires = now + payloadTokenSeconds;
      const token = signHs256(await options.key(), {
        [claimNames.vo]: subject.vo,
        [claimNames.preferredUsername]: subject.owner,
        [claimNames.group]: subject.ownerGroup,
        [claimNames.properties]: [],
        [payloadClaimNames.use]: payloadTokenUse,
        [payloadClaimNames.jobId]: String(subject.jobId),
        [payloadClaimNames.pilot]: subject.pilotReference,
        iss: payloadTokenIssuer,
        aud: options.audience,
        sub: `job:${subject.vo}:${subject.jobId}`,
        iat: now,
        exp: expires,
        jti: randomUUID(),
      });
      return { PayloadToken: token, PayloadTokenExpiresAt: new Date(expires * 1000).toISOString() };
    },
    verify: async (token) => {
      try {
        const { payload } = await jwtVerify(token, await options.key(), {
          issuer: payloadTokenIssuer,
          audience: options.audience,
          algorithms: [algorithm],
          currentDate: options.now(),
        });
        if (payload[payloadClaimNames.use] !== payloadTokenUse) {
          return { ok: false, reason: 'The token is signed by muon but is not a payload token.' };
        }
        return { ok: true, claims: payload };
      } catch (error) {
        return { ok: false, reason: describeTokenError(error, 'payload token') };
      }
    },
  };
}

const encodedHeader = Buffer.from(JSON.stringify({ alg: algorithm, typ: 'JWT' })).toString('base64url');

/**
 * A compact HS256 JWT (RFC 7519) signed with node:crypto's HMAC. jose signs through WebCrypto,
 * which in Node 20 runs every HMAC as an asynchronous job: a millisecond per match under load, a
 * sixteenth of the matcher's CPU in issue 14's profile, for a few microseconds of hashing. Tokens
 * are still verified by jose (`verify` above), so the two must agree: a unit test checks it.
 */
function signHs256(key: Uint8Array, claims: Record<string, unknown>): string {
  const signed = `${encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signed}.${createHmac('sha256', key).update(signed).digest('base64url')}`;
}
