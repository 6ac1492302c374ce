/**
 * The configuration document at synth time: validated once (an invalid file fails synth with the
 * loader's message); the stack deploys it as the live document (infra/constructs/configuration.ts).
 */
import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { ConfigurationError } from '#shared/errors.ts';

export function stageConfig(configPath: string): MuonConfig {
  return loadConfigFile(configPath);
}

/** Issuers no identity provider has: the shipped examples' `https://muon.local/` and any `.local` host. */
export function isPlaceholderIssuer(issuer: string): boolean {
  try {
    const host = new URL(issuer).hostname;
    return host === 'muon.local' || host.endsWith('.local') || host === 'localhost' || host === '127.0.0.1';
  } catch {
    return true;
  }
}

/**
 * `cdk synth` of a deployment refuses a configuration whose issuer no cloud identity provider can
 * have: every call to the API would answer 401 (issue 16). Tests build stacks without this check.
 */
export function refusePlaceholderIssuer(configPath: string): void {
  const { issuer } = loadConfigFile(configPath).auth;
  if (isPlaceholderIssuer(issuer)) {
    throw new ConfigurationError(
      `${configPath}: auth.issuer is "${issuer}", a placeholder no identity provider issues tokens as: set it to your identity provider's issuer (INDIGO IAM, Keycloak: docs/identity.md) before deploying.`,
    );
  }
}
