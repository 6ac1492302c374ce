/**
 * Output file names and globs, matched in the job directory as DIRAC matches them (`glob.glob`):
 * `*`, `?` and `[...]` stay within one path segment, `**` crosses segments. The directory is
 * walked once per job, without following symbolic links and without the wrapper's own directory.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeEntry {
  /** Relative to the job directory, with `/`. */
  readonly path: string;
  readonly kind: 'file' | 'directory' | 'other';
  /** A symbolic link (kind `other`): it is packed as a link, never followed. */
  readonly link?: true;
}

export const hasGlob = (pattern: string): boolean => /[*?[]/.test(pattern);

/** Every entry under `root`, depth first; stops after `limit` entries. */
export async function walkTree(
  root: string,
  skip: ReadonlySet<string>,
  limit = 100_000,
): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const visit = async (relative: string): Promise<void> => {
    const names = await readdir(join(root, relative)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (entries.length >= limit) return;
      const path = relative === '' ? name : `${relative}/${name}`;
      if (relative === '' && skip.has(name)) continue;
      const stats = await lstat(join(root, path)).catch(() => undefined);
      const kind = stats?.isDirectory() ? 'directory' : stats?.isFile() ? 'file' : 'other';
      entries.push(stats?.isSymbolicLink() ? { path, kind, link: true } : { path, kind });
      if (kind === 'directory') await visit(path);
    }
  };
  await visit('');
  return entries;
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches no directory or any number of them.
      const slash = pattern[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') {
      source += '[^/]*';
    } else if (c === '?') {
      source += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        source += '\\[';
        continue;
      }
      const body = pattern
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/\\/g, '\\\\');
      source += `[${body}]`;
      i = end;
    } else {
      source += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/** The entries `pattern` matches, taken from each of the `bases` (prefixes such as `outputs/`). */
export function matchGlob(
  entries: readonly TreeEntry[],
  pattern: string,
  bases: readonly string[] = [''],
): TreeEntry[] {
  const regexp = globToRegExp(pattern.replace(/^\.\//, ''));
  return entries.filter((entry) =>
    bases.some((base) => entry.path.startsWith(base) && regexp.test(entry.path.slice(base.length))),
  );
}
