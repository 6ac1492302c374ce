import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resourceDefinition } from '#infra/definition.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import { logicalId, removeTemporaryDirectories, resource, synthesize, temporaryDirectory } from './synth.ts';

const invalidConfig = () => {
  const file = join(temporaryDirectory(), 'muon.yaml');
  writeFileSync(file, 'auth: { issuer: not-a-url, audience: [] }\nvirtualOrganizations: {}\n');
  return file;
};

const loaderMessage = (path: string): string => {
  try {
    loadConfigFile(path);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${path} is valid`);
};

afterAll(removeTemporaryDirectories);

describe('configuration at synth', () => {
  it('fails synth with the configuration loader message', () => {
    const file = invalidConfig();
    const message = loaderMessage(file);
    expect(message).toContain('auth.issuer');
    expect(() => synthesize({ configPath: file })).toThrow(message);
  });

  it('makes `cdk synth` exit 1 printing the message, not a stack trace', () => {
    const file = invalidConfig();
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config: file, 'aws:cdk:bundling-stacks': [] }),
        CDK_OUTDIR: temporaryDirectory(),
      },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(loaderMessage(file));
  });

  // Bundles every function with esbuild: over 90 s on a loaded 2-core machine (docs/performance.md).
  it('bundles every function without a configuration copy (they read the live one from S3)', () => {
    const { app, stack, template } = synthesize({ bundle: true });
    for (const name of Object.keys(resourceDefinition.functions)) {
      const fn = stack.functions.byName[name];
      if (!fn) throw new Error(`no function ${name}`);
      const code = resource(template, logicalId(stack, fn)).Properties.Code as { S3Key: string };
      const bundle = join(app.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
      expect(existsSync(join(bundle, 'muon-config.json'))).toBe(false);
      expect(readFileSync(join(bundle, 'index.mjs'), 'utf8')).toContain('sourceMappingURL=index.mjs.map');
    }
  }, 180_000);
});
