/**
 * Logical file names (LFNs): DIRAC's VO-wide names of data files, `/<vo>/user/<o>/<owner>/...` for
 * a user's files. An LFN here is absolute, `/`-separated, without empty, `.` or `..` segments, so
 * it maps onto an S3 key or a path under a storage element's root without escaping it.
 */

/** DIRAC's LFN column is 255 characters; longer paths are refused, not cut. */
export const maxLfnLength = 1024;

const segmentPattern = /^[^/\0]+$/;

/** Why `text` is not an LFN, or undefined if it is one. */
export function lfnProblem(text: string): string | undefined {
  if (text.length > maxLfnLength) return `an LFN has at most ${maxLfnLength} characters`;
  if (!text.startsWith('/')) return 'an LFN starts with "/"';
  const segments = text.slice(1).split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'an LFN has no empty, "." or ".." segments (nor a trailing "/")';
  }
  if (!segments.every((segment) => segmentPattern.test(segment))) return 'an LFN has no NUL characters';
  return undefined;
}

export const isLfn = (text: string): boolean => lfnProblem(text) === undefined;

/** The LFN without a trailing `/`, as directories are kept in the catalog (`/` stays `/`). */
export const directoryPath = (text: string): string => (text.length > 1 ? text.replace(/\/+$/, '') : text);

/** The directory holding `lfn` (the catalog's `directory` attribute). */
export function parentDirectory(lfn: string): string {
  const slash = lfn.lastIndexOf('/');
  return slash <= 0 ? '/' : lfn.slice(0, slash);
}

/** The directories above `path`, nearest first, `/` left out. */
export function directoriesAbove(path: string): string[] {
  const above: string[] = [];
  for (let at = parentDirectory(path); at !== '/'; at = parentDirectory(at)) above.push(at);
  return above;
}

export const baseName = (lfn: string): string => lfn.slice(lfn.lastIndexOf('/') + 1);

/** DIRAC's user directory: `/<vo>/user/<initial>/<owner>`. */
export const userDirectory = (vo: string, owner: string): string =>
  `/${vo}/user/${owner.charAt(0).toLowerCase()}/${owner}`;

/** Whether `path` is `directory` or inside it (segment-wise: `/a/bc` is not inside `/a/b`). */
export function isWithin(path: string, directory: string): boolean {
  const root = directoryPath(directory);
  return path === root || path.startsWith(root === '/' ? '/' : `${root}/`);
}
