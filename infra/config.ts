/**
 * The configuration document at synth time: validated once (an invalid file fails synth with the
 * loader's message), then written as JSON into the cloud assembly so every function bundle can ship
 * a copy of it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Stage } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { ConfigurationError } from '#shared/errors.ts';

export interface StagedConfig {
  readonly config: MuonConfig;
  /** Absolute path of the JSON copy in the cloud assembly directory. */
  readonly file: string;
}

export function stageConfig(scope: Construct, configPath: string): StagedConfig {
  const config = loadConfigFile(configPath);
  const outdir = Stage.of(scope)?.outdir;
  if (!outdir) throw new ConfigurationError('The muon stack must be created inside a CDK App.');
  mkdirSync(outdir, { recursive: true });
  const file = join(outdir, `${Stack.of(scope).artifactId}.muon-config.json`);
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return { config, file };
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
