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
