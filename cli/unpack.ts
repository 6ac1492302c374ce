/**
 * Unpacking a sandbox someone else packed (a job's output, written by a pilot) without letting it
 * reach outside the directory it is unpacked into. The whole archive is read once first and
 * refused if any entry has an absolute path, a `..` segment, a special file type, a path that
 * goes through one of its symbolic links, or a link whose target leaves the directory; only then
 * is it extracted.
 */
import { extract, Parser } from 'tar';
import { CliError } from '#cli/errors.ts';

export interface ArchiveEntry {
  readonly path: string;
  readonly type: string;
  readonly linkpath?: string;
}

const allowedTypes = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

const isAbsolutePath = (path: string) =>
  path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path);
const segmentsOf = (path: string) =>
  path.split(/[/\\]/).filter((segment) => segment !== '' && segment !== '.');

/** Whether some proper prefix of `segments` (a directory on the way) is one of `links`. */
const throughLink = (segments: readonly string[], links: ReadonlySet<string>) =>
  segments.some((_, i) => i > 0 && links.has(segments.slice(0, i).join('/')));

/**
 * Where a symbolic link in `directory` pointing at `target` leads, as segments under the unpack
 * directory; undefined when it leaves it or steps through another link (whose own target could
 * make a later `..` leave it).
 */
function linkTarget(directory: readonly string[], target: string, links: ReadonlySet<string>) {
  const at = [...directory];
  for (const segment of segmentsOf(target)) {
    if (at.length > 0 && links.has(at.join('/'))) return undefined;
    if (segment === '..') {
      if (at.length === 0) return undefined;
      at.pop();
    } else at.push(segment);
  }
  return at;
}

/** Why unpacking `entries` could write or point outside the directory, or undefined if it cannot. */
export function unsafeEntry(entries: readonly ArchiveEntry[]): string | undefined {
  const links = new Set(
    entries.filter((e) => e.type === 'SymbolicLink').map((e) => segmentsOf(e.path).join('/')),
  );
  for (const entry of entries) {
    const segments = segmentsOf(entry.path);
    if (!allowedTypes.has(entry.type))
      return `${entry.path} is a ${entry.type}, not a file, directory or link`;
    if (isAbsolutePath(entry.path)) return `${entry.path} is an absolute path`;
    if (segments.includes('..')) return `${entry.path} has a ".." segment`;
    if (throughLink(segments, links)) return `${entry.path} goes through a symbolic link of the archive`;
    const target = entry.linkpath ?? '';
    if (entry.type === 'SymbolicLink') {
      if (isAbsolutePath(target) || !linkTarget(segments.slice(0, -1), target, links)) {
        return `${entry.path} links to ${target}, outside the directory`;
      }
    }
    if (entry.type === 'Link') {
      const targetSegments = segmentsOf(target);
      if (isAbsolutePath(target) || targetSegments.includes('..') || throughLink(targetSegments, links)) {
        return `${entry.path} is a hard link to ${target}, outside the directory`;
      }
    }
  }
  return undefined;
}

/** The entries of a tar.gz, without unpacking it. */
export function readEntries(bytes: Buffer): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  return new Promise((done, fail) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry) => {
        entries.push({
          path: entry.path,
          type: entry.type,
          ...(entry.linkpath ? { linkpath: entry.linkpath } : {}),
        });
        entry.resume();
      },
    });
    parser.on('error', (error: Error) => fail(new CliError(`Cannot read the sandbox: ${error.message}`)));
    parser.on('end', () => done(entries));
    parser.end(bytes);
  });
}

/**
 * Unpacks a tar.gz into `destDir` (which must exist) after checking every entry; returns the
 * unpacked paths as the archive names them, relative to `destDir`.
 */
export async function unpackSafely(bytes: Buffer, destDir: string): Promise<string[]> {
  const entries = await readEntries(bytes);
  const problem = unsafeEntry(entries);
  if (problem) throw new CliError(`Refusing to unpack the sandbox: ${problem}.`);
  await new Promise<void>((done, fail) => {
    const unpacker = extract({ cwd: destDir, strict: true });
    unpacker.on('error', (error: Error) => fail(new CliError(`Cannot unpack the sandbox: ${error.message}`)));
    unpacker.on('finish', () => done());
    unpacker.end(bytes);
  });
  return entries.map((entry) => entry.path);
}
