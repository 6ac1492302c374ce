#!/usr/bin/env node
// `npm run build`: the CLI as plain JavaScript, bundled with esbuild into dist/cli/ (cli/run.ts
// and every module it loads; one chunk per lazily loaded command, so `muon version` loads only
// the first). npm packages stay external: `npm i` installs them next to the bundle. What runs it:
// bin/muon.mjs in an installed package (`npm pack` builds first, through prepack), the pilot image
// (pilot/Dockerfile installs that package) and `npm run conformance` (built just before it runs).
// A checkout's bin/muon.mjs runs the TypeScript sources instead, so it never runs a stale dist/.
//
// The chunks sit two directories deep (dist/cli/), as the sources do (shared/ce/factory.ts), so
// a `new URL('../../bin/muon.mjs', import.meta.url)` in them names the same bin/muon.mjs.
import { renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');

/**
 * The embedded runtime (`muon local`) loads its Lambda handlers from the TypeScript tree and
 * starts the emulators, which are development packages: it runs from a checkout only. In the
 * bundle, its entry is this module, which says so, instead of a runtime that would fail halfway.
 */
const checkoutOnly = {
  name: 'checkout-only',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^#local\/main\.ts$/ }, () => ({
      path: 'local-main',
      namespace: 'checkout-only',
    }));
    esbuild.onLoad({ filter: /.*/, namespace: 'checkout-only' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents: `import { CliError } from '#cli/errors.ts';
export async function runLocal() {
  throw new CliError(
    'muon local (the embedded runtime) runs from a checkout of muon: clone it, then npm ci && npm start. ' +
      'This installed muon talks to it, or to a deployed muon, with --api-url or MUON_API_URL.',
  );
}`,
    }));
  },
};

export async function buildCli({ quiet = false } = {}) {
  const started = Date.now();
  // Built beside, then swapped in: a conformance run or a packed install elsewhere in this tree
  // never sees a half-written dist/cli/.
  const building = `${outdir}.${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { run: 'cli/run.ts' },
    outdir: building,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [checkoutOnly],
    metafile: true,
  });
  rmSync(outdir, { recursive: true, force: true });
  renameSync(building, outdir);
  if (!quiet) {
    const files = Object.keys(result.metafile.outputs).length;
    console.error(`built ${outdir} (${files} files) in ${Date.now() - started} ms`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildCli();
