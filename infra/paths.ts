import { fileURLToPath } from 'node:url';

/** The repository root: the functions' esbuild project root and the pilot image's build context. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
