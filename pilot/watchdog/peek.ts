/**
 * The last lines of a payload's output (DIRAC's job peek, `MaxJobPeekLines`): read from the end of
 * the file, so a payload writing gigabytes costs the pilot a few kilobytes.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last `lines` lines of `path` (at most `maxBytes` read), or '' when it cannot be read. */
export function tailLines(path: string, lines: number, maxBytes = 16 * 1024): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8').replace(/\n$/, '');
    const all = text.split('\n');
    // The first line is partial when the read did not start at the beginning of the file.
    const whole = length < size ? all.slice(1) : all;
    return whole.slice(-lines).join('\n');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
