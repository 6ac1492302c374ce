#!/usr/bin/env node
// Builds the web monitor (web/) into dist/web, or the folder given: index.html, app.js, app.css and
// their maps. The embedded runtime serves dist/web when it exists and builds in memory otherwise;
// the CDK stack builds its own copy for S3 (infra/constructs/web.ts).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { buildWebAssets } = await import('../local/web-build.ts');
const outdir = resolve(process.argv[2] ?? join(import.meta.dirname, '..', 'dist', 'web'));
const started = Date.now();
const assets = await buildWebAssets();
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
let bytes = 0;
for (const [path, asset] of assets) {
  writeFileSync(join(outdir, path), asset.body);
  bytes += asset.body.length;
}
console.log(
  `web monitor: ${assets.size} files, ${(bytes / 1024).toFixed(0)} kB in ${outdir} (${Date.now() - started} ms)`,
);
