/**
 * The web monitor's build (DIRAC's WebAppDIRAC is served by Tornado from its compiled ExtJS tree;
 * muon's is one esbuild bundle): web/src/main.ts with its CSS, and web/index.html. The embedded
 * runtime builds it in memory at its first page; `node scripts/build-web.mjs` writes it to
 * dist/web for a package, and the CDK stack writes it to a temporary folder it uploads to S3.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, buildSync } from 'esbuild';

export interface WebAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The repository's web/ folder. */
export const webSourceDir = fileURLToPath(new URL('../web/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

export const contentTypeOf = (path: string): string =>
  contentTypes[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream';

/** esbuild's options for the bundle; `outdir` is where it is written (or named, in memory). */
function bundleOptions(outdir: string, write: boolean, minify: boolean): BuildOptions {
  return {
    entryPoints: { app: join(webSourceDir, 'src/main.ts') },
    bundle: true,
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify,
    sourcemap: 'linked',
    outdir,
    write,
    logLevel: 'silent',
    legalComments: 'linked',
  };
}

/** Every file of the monitor by its URL path (`/index.html`, `/app.js`, `/app.css`). */
export async function buildWebAssets(options: { minify?: boolean } = {}): Promise<Map<string, WebAsset>> {
  // esbuild is a build tool: loaded only when a build is asked for, never by a deployed function.
  const esbuild = await import('esbuild');
  const result = await esbuild.build(bundleOptions('/web', false, options.minify ?? true));
  const assets = new Map<string, WebAsset>();
  for (const file of result.outputFiles ?? []) {
    const path = file.path.slice(file.path.lastIndexOf('/web/') + 4);
    assets.set(path, { body: Buffer.from(file.contents), contentType: contentTypeOf(path) });
  }
  assets.set('/index.html', {
    body: readFileSync(join(webSourceDir, 'index.html')),
    contentType: contentTypeOf('.html'),
  });
  return assets;
}

/** Writes the monitor into `outdir` at once (the CDK app is synchronous); returns `outdir`. */
export function writeWebAssetsSync(outdir: string, esbuild: { buildSync: typeof buildSync }): string {
  mkdirSync(outdir, { recursive: true });
  esbuild.buildSync(bundleOptions(outdir, true, true));
  copyFileSync(join(webSourceDir, 'index.html'), join(outdir, 'index.html'));
  return outdir;
}
