/**
 * What a Cognito user pool's pre-token-generation trigger (functions/cognito-pre-token.ts) adds to
 * a user's tokens so that muon can read them: `vo`, `dirac_group`, `dirac_properties` and
 * `preferred_username` (shared/auth/identity.ts). DIRAC groups are Cognito groups named
 * `<vo>:<group>` (infra/constructs/identity.ts makes one per group of the configuration); the
 * properties come from the live configuration, so `muon config push` changes them without a new
 * sign-in setup. DIRAC counterpart: DiracX's token issuer, which writes the same claims from its
 * group registry. Written here because Cognito has no claim mapper a library could configure.
 */

import { pilotGroupOf, properties } from '#shared/auth/identity.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { UnauthorizedError } from '#shared/errors.ts';

/** The Cognito group that stands for a DIRAC group. */
export const cognitoGroupName = (vo: string, group: string): string => `${vo}:${group}`;

export interface CognitoGroup {
  readonly name: string;
  readonly vo: string;
  readonly group: string;
  /** Cognito's precedence (lower wins): a VO's default group first, then configuration order. */
  readonly precedence: number;
}

/** Every DIRAC group of the configuration, as the Cognito group the stack creates for it. */
export function cognitoGroups(config: MuonConfig): CognitoGroup[] {
  const out: CognitoGroup[] = [];
  for (const [vo, settings] of Object.entries(config.virtualOrganizations)) {
    const ordered = [
      settings.defaultGroup,
      ...Object.keys(settings.groups).filter((group) => group !== settings.defaultGroup),
    ];
    for (const group of ordered) {
      out.push({ name: cognitoGroupName(vo, group), vo, group, precedence: out.length });
    }
  }
  return out;
}

export interface MuonClaims {
  readonly vo: string;
  readonly dirac_group: string;
  /** Space-separated: Cognito's claim values are strings (muon reads either form). */
  readonly dirac_properties: string;
  readonly preferred_username: string;
}

/**
 * The claims for a user in these Cognito groups. Cognito has no way to ask for a group at sign-in
 * (it refuses scopes it does not know, so `group:<name>` cannot be sent), hence the user acts in
 * the muon group of lowest precedence they belong to: a VO's default group before its others.
 * Groups that are not muon's are ignored; a user in none is refused, naming what to do.
 */
export function muonClaims(
  config: MuonConfig,
  user: { readonly username: string; readonly groups: readonly string[] },
): MuonClaims {
  const member = new Set(user.groups);
  const chosen = cognitoGroups(config).find((group) => member.has(group.name));
  if (!chosen) {
    throw new UnauthorizedError(
      `User "${user.username}" is in no muon group: an administrator adds them to one of the user pool's groups <vo>:<group> (e.g. ${cognitoGroups(config)[0]?.name ?? 'vo:user'}).`,
    );
  }
  const properties = config.virtualOrganizations[chosen.vo]?.groups[chosen.group]?.properties ?? [];
  return {
    vo: chosen.vo,
    dirac_group: chosen.group,
    dirac_properties: properties.join(' '),
    preferred_username: user.username,
  };
}

/**
 * The claims of a pilot's client-credentials token (the V3 event): the first group of the
 * configuration that holds GenericPilot. Any client-credentials client of the pool gets them, but
 * the API accepts only the clients in `auth.audience` (the stack's pilot client and CLI client).
 */
export function pilotClaims(config: MuonConfig, clientId: string): MuonClaims {
  const pilots = pilotGroupOf(config);
  if (!pilots) {
    throw new UnauthorizedError(
      `No group of the configuration holds ${properties.genericPilot}: add one (e.g. pilot: { properties: [GenericPilot] }) so pilots can get tokens.`,
    );
  }
  return {
    vo: pilots.vo,
    dirac_group: pilots.group,
    dirac_properties: pilots.properties.join(' '),
    preferred_username: clientId,
  };
}
