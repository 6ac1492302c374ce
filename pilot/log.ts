/**
 * The pilot's own log: JSON lines in `<work dir>/pilot.log`, echoed where the caller wants (stderr
 * for `muon pilot`), and uploaded whole (its last 50 MiB) through `POST /api/pilots/logs` every
 * `pilot.logUploadSeconds` and when the pilot ends, so `muon pilot logs <reference>` shows it.
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createLogger, type Logger, type LogLevel } from '#shared/log.ts';

/** The API takes at most 50 MiB; a longer log keeps its end. */
const maxLogUploadBytes = 50 * 1024 * 1024;

export interface PilotLog {
  readonly path: string;
  readonly logger: Logger;
  /** What is written so far (its last `maxLogUploadBytes`). */
  read(): Promise<Buffer>;
  close(): Promise<void>;
}

export function openPilotLog(options: {
  path: string;
  level?: LogLevel;
  echo?: (line: string) => void;
  context?: Record<string, unknown>;
}): PilotLog {
  // The log may name the pilot's jobs and their users: it is the pilot's own only.
  const file = createWriteStream(options.path, { flags: 'w', mode: 0o600 });
  let failed: Error | undefined;
  file.on('error', (error) => {
    failed = error;
  });
  const logger = createLogger({
    level: options.level ?? 'info',
    ...(options.context ? { context: options.context } : {}),
    write: (line) => {
      if (!failed) file.write(`${line}\n`);
      options.echo?.(line);
    },
  });
  /** Resolves once what was written so far reached the file. */
  const drained = () =>
    new Promise<void>((resolve) => {
      if (failed || file.writableLength === 0) resolve();
      else file.write('', () => resolve());
    });
  return {
    path: options.path,
    logger,
    read: async () => {
      await drained();
      return readTail(options.path, maxLogUploadBytes);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (failed || file.closed) resolve();
        else file.end(() => resolve());
      }),
  };
}

async function readTail(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer;
  } finally {
    await handle.close();
  }
}
