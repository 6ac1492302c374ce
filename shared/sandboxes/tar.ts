/**
 * Packing a sandbox as a tar.gz, the same way on the client (input sandboxes) and in the job
 * wrapper (output sandboxes): portable headers (no user or host names), so the same files pack to
 * the same bytes and the store recognises a sandbox it already has.
 */
import { win32 } from 'node:path';
import { create } from 'tar';

/**
 * node-tar strips what Windows would read as a drive (`A:` of `A:Gln2Cys`) from an entry's path,
 * when packing and when unpacking: such a path is packed as `./A:Gln2Cys`, which keeps its name.
 */
const keepRoot = (path: string): string => (win32.parse(path).root === '' ? path : `./${path}`);

/** A tar.gz of `entries` (relative to `cwd`), in memory. */
export function packTarGz(cwd: string, entries: readonly string[]): Promise<Buffer> {
  return create({ gzip: true, portable: true, cwd }, entries.map(keepRoot)).concat();
}

/** A tar.gz of `entries` (relative to `cwd`), written to `file`. */
export async function writeTarGz(file: string, cwd: string, entries: readonly string[]): Promise<void> {
  await create({ gzip: true, portable: true, cwd, file }, entries.map(keepRoot));
}
