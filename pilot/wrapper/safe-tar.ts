/**
 * Unpacking input sandboxes without trusting them. The archive is read twice: first every entry
 * is checked and nothing is written; only if all pass is it extracted. Refused:
 * - absolute paths and `..` in a path;
 * - anything but files, directories, symbolic and hard links (devices, FIFOs, ...);
 * - entries written through a symbolic link, and hard links to one;
 * - symbolic links that, followed through every link the job's sandboxes unpack, lead outside the
 *   job directory (checked once all entries are read, so a link redefined later cannot escape);
 * - paths under the wrapper's own directory.
 * One guard serves all the sandboxes of a job, so links from an earlier sandbox count too.
 */
import { extract, list } from 'tar';
import { UnsafeSandboxError } from './errors.ts';

const allowedTypes = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);
/** node-tar's codes for an entry it would not write. */
const refusals = new Set(['TAR_ENTRY_ERROR', 'TAR_SYMLINK_ERROR', 'TAR_ENTRY_UNSUPPORTED']);
/** Like the kernel's limit on links followed in one path lookup. */
const maxLinkHops = 40;

interface EntryHeader {
  readonly path: string;
  readonly type: string;
  readonly linkpath?: string;
}

export interface SandboxUnpacker {
  /** Checks every entry of the tar(.gz) `archive`, then extracts it into the job directory. */
  unpack(archive: string): Promise<void>;
}

export function createSandboxUnpacker(
  destination: string,
  reservedNames: readonly string[],
): SandboxUnpacker {
  /** Symbolic links unpacked so far: path (segments joined by '/') → target. */
  const links = new Map<string, string>();
  return {
    async unpack(archive) {
      const entries = await readHeaders(archive);
      const pending = new Map(links);
      for (const entry of entries) checkEntry(entry, pending, reservedNames);
      for (const [path, target] of pending) {
        const from = path.split('/').slice(0, -1);
        if (!resolveInside([...from, ...target.split('/')], pending)) {
          throw new UnsafeSandboxError(
            `the symbolic link "${path}" -> "${target}" leads outside the job directory`,
          );
        }
      }
      try {
        await extract({ file: archive, cwd: destination, strict: true, preserveOwner: false });
      } catch (error) {
        // node-tar's own guards (a path through a link on disk, ...) refuse it as well.
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && refusals.has(code))
          throw new UnsafeSandboxError((error as Error).message);
        throw error;
      }
      links.clear();
      for (const [path, target] of pending) links.set(path, target);
    },
  };
}

async function readHeaders(archive: string): Promise<EntryHeader[]> {
  const entries: EntryHeader[] = [];
  await list({
    file: archive,
    strict: true,
    onReadEntry: (entry) =>
      entries.push({
        path: entry.path,
        type: entry.type,
        ...(entry.linkpath !== undefined ? { linkpath: entry.linkpath } : {}),
      }),
  });
  return entries;
}

function checkEntry(entry: EntryHeader, links: Map<string, string>, reserved: readonly string[]): void {
  if (!allowedTypes.has(entry.type)) {
    throw new UnsafeSandboxError(`"${entry.path}" is a ${entry.type}: only files, directories and links`);
  }
  const segments = relativeSegments(entry.path, 'path');
  if (segments.length === 0) {
    if (entry.type === 'Directory') return;
    throw new UnsafeSandboxError(`an entry of type ${entry.type} names the job directory itself`);
  }
  if (reserved.includes(segments[0] as string)) {
    throw new UnsafeSandboxError(`"${entry.path}" is inside the job wrapper's own directory`);
  }
  throughLink(segments.slice(0, -1), links, entry.path);
  const path = segments.join('/');
  if (entry.type === 'SymbolicLink') {
    const target = entry.linkpath ?? '';
    if (target === '' || target.startsWith('/')) {
      throw new UnsafeSandboxError(
        `the symbolic link "${entry.path}" points to the absolute path "${target}"`,
      );
    }
    links.set(path, target);
    return;
  }
  links.delete(path);
  if (entry.type === 'Link') {
    const target = relativeSegments(entry.linkpath ?? '', 'hard link target');
    throughLink(target.slice(0, -1), links, entry.path);
    if (target.length === 0 || links.has(target.join('/'))) {
      throw new UnsafeSandboxError(`the hard link "${entry.path}" must name a file of the sandbox`);
    }
  }
}

/** The segments of a relative archive path without `.`; absolute paths and `..` are refused. */
function relativeSegments(path: string, what: string): string[] {
  if (path.startsWith('/')) throw new UnsafeSandboxError(`the ${what} "${path}" is absolute`);
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw new UnsafeSandboxError(`the ${what} "${path}" contains ".."`);
  return segments;
}

function throughLink(parents: readonly string[], links: Map<string, string>, path: string): void {
  for (let length = 1; length <= parents.length; length++) {
    if (links.has(parents.slice(0, length).join('/'))) {
      throw new UnsafeSandboxError(`"${path}" would be written through a symbolic link`);
    }
  }
}

/**
 * Resolves a path from the job directory as the kernel would, following the links in `links`;
 * undefined when it leaves the directory or loops.
 */
export function resolveInside(
  segments: readonly string[],
  links: ReadonlyMap<string, string>,
): string[] | undefined {
  const resolved: string[] = [];
  const queue = [...segments];
  let hops = 0;
  for (let segment = queue.shift(); segment !== undefined; segment = queue.shift()) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (resolved.length === 0) return undefined;
      resolved.pop();
      continue;
    }
    resolved.push(segment);
    const target = links.get(resolved.join('/'));
    if (target === undefined) continue;
    if (++hops > maxLinkHops || target.startsWith('/')) return undefined;
    resolved.pop();
    queue.unshift(...target.split('/'));
  }
  return resolved;
}
