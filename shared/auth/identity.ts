/**
 * Who is calling: the typed identity every handler receives, read from the JWT claims that the
 * API Gateway JWT authorizer (cloud) or the local runtime's verifier (embedded) has checked.
 * Claim names follow DiracX's access tokens.
 */
import { z } from 'zod';
import type { MuonConfig } from '#shared/config/schema.ts';
import { UnauthorizedError } from '#shared/errors.ts';

export const properties = {
  normalUser: 'NormalUser',
  jobAdministrator: 'JobAdministrator',
  genericPilot: 'GenericPilot',
  /** DIRAC's JobSharing: its holder acts on every job of its group, not only its own. */
  jobSharing: 'JobSharing',
  /** DIRAC's CSAdministrator: may change the live configuration (`muon config push`). */
  csAdministrator: 'CSAdministrator',
} as const;
export type Property = (typeof properties)[keyof typeof properties];

/** The `iss` of muon's own payload tokens (shared/auth/payload-token.ts); no identity provider uses it. */
export const payloadTokenIssuer = 'urn:muon:payload';
/** The claims that scope a payload token to its job and pilot. */
export const payloadClaimNames = { use: 'token_use', jobId: 'job_id', pilot: 'pilot' } as const;

export const claimNames = {
  vo: 'vo',
  sub: 'sub',
  preferredUsername: 'preferred_username',
  group: 'dirac_group',
  properties: 'dirac_properties',
} as const;

export interface Identity {
  readonly vo: string;
  /** Stable subject id, unique within the VO. */
  readonly sub: string;
  /** The user name shown as a job's Owner. */
  readonly username: string;
  readonly group: string;
  readonly properties: readonly string[];
  /**
   * For a pilot: the registered pilot its request proved to be (X-Muon-Pilot and its secret, see
   * shared/pilots/binding.ts). Absent for every other identity and for unbound requests.
   */
  readonly pilotReference?: string;
  /** For a bound pilot: the Site and GridCE it registered with, from the record the binding read. */
  readonly pilotRegistration?: { readonly site: string; readonly gridCE: string };
  /**
   * For a payload token: the one job it was issued for. Such an identity acts only on that job,
   * and only while the pilot in `pilotReference` holds it (shared/jobs/access.ts).
   */
  readonly jobId?: number;
}

/** The three kinds of caller a verified token makes (docs/security.md). */
export type CallerKind = 'user' | 'pilot' | 'payload';

export function callerKind(identity: Identity): CallerKind {
  if (identity.jobId !== undefined) return 'payload';
  // An administrator that also holds GenericPilot acts as an administrator, unbound.
  return identity.properties.includes(properties.genericPilot) &&
    !identity.properties.includes(properties.jobAdministrator)
    ? 'pilot'
    : 'user';
}

export const hasProperty = (identity: Identity, property: Property): boolean =>
  identity.properties.includes(property);

/**
 * The group pilots' tokens are for, as identity providers muon sets up issue them (Cognito's
 * client-credentials tokens, the embedded runtime's pilot client): the configuration's first group
 * that holds GenericPilot.
 */
export function pilotGroupOf(
  config: MuonConfig,
): { readonly vo: string; readonly group: string; readonly properties: readonly string[] } | undefined {
  for (const [vo, settings] of Object.entries(config.virtualOrganizations)) {
    for (const [group, { properties: held }] of Object.entries(settings.groups)) {
      if (held.includes(properties.genericPilot)) return { vo, group, properties: held };
    }
  }
  return undefined;
}

const name = z.string().min(1).max(128);
const claimsSchema = z.object({
  [claimNames.vo]: name,
  [claimNames.sub]: name,
  [claimNames.preferredUsername]: name,
  [claimNames.group]: name,
  [claimNames.properties]: z.union([z.array(z.string()), z.string()]),
  iss: z.string().optional(),
  // Payload tokens only (shared/auth/payload-token.ts).
  [payloadClaimNames.jobId]: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/)
    .optional(),
  [payloadClaimNames.pilot]: name.optional(),
});

/**
 * API Gateway's JWT authorizer hands list claims to the function as `"[a b c]"` strings; the
 * local verifier does the same, so both paths go through here.
 */
export function identityFromClaims(claims: Record<string, unknown> | undefined): Identity {
  const parsed = claimsSchema.safeParse(claims ?? {});
  if (!parsed.success) {
    const missing = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new UnauthorizedError(`The token lacks the claims muon needs: ${missing}.`);
  }
  const c = parsed.data;
  const identity = {
    vo: c[claimNames.vo],
    sub: c[claimNames.sub],
    username: c[claimNames.preferredUsername],
    group: c[claimNames.group],
    properties: parseListClaim(c[claimNames.properties]),
  };
  if (c.iss !== payloadTokenIssuer) return identity;
  // The authorizer checked a payload token's signature; still, it must name its job and pilot,
  // and it carries no properties whatever it says.
  const jobId = c[payloadClaimNames.jobId];
  const pilot = c[payloadClaimNames.pilot];
  if (!jobId || !pilot) {
    throw new UnauthorizedError('The payload token names no job or no pilot.', 'auth.malformed_token');
  }
  return { ...identity, properties: [], jobId: Number(jobId), pilotReference: pilot };
}

export function parseListClaim(value: string | readonly string[]): string[] {
  if (typeof value !== 'string') return [...value];
  const inner = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  return inner.split(/[\s,]+/).filter((item) => item.length > 0);
}

/** How API Gateway renders claims for the function: scalars as strings, lists as `"[a b]"`. */
export function flattenClaims(payload: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    out[k] = Array.isArray(v) ? `[${v.join(' ')}]` : String(v);
  }
  return out;
}
