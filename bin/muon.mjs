#!/usr/bin/env node
// The `muon` command. Installed from the package (`npm pack`, `npm i -g ./muon-*.tgz`, the pilot
// image), it runs the built JavaScript in dist/cli/ (scripts/build.mjs), with no TypeScript loader.
// In a checkout, where the sources are, it runs them through tsx, so that an edit counts at once
// and a dist/ built before it is never what runs (npm start, npm test, a pilot the site director starts).
import { existsSync } from 'node:fs';

if (existsSync(new URL('../cli/run.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/run.ts');
} else {
  await import('../dist/cli/run.mjs');
}
