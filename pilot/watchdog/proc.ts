/**
 * Linux's process table as the watchdog reads it: one `/proc/<pid>/stat` line per process
 * (proc(5)). Reading the whole table costs one small read per process, so the sampler does it
 * once per tick for every payload of the pilot.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** Process group and session: a payload spawned detached leads both (their id is its pid). */
  readonly pgrp: number;
  readonly session: number;
  /** utime + stime of the process itself, in clock ticks. */
  readonly ownTicks: number;
  /** cutime + cstime: the children it has waited for (their own waited-for children included). */
  readonly childTicks: number;
  /** Ticks after boot when it started: with the pid, it names one process even if pids are reused. */
  readonly startTime: number;
  readonly vsizeBytes: number;
  readonly rssPages: number;
}

/** Linux's USER_HZ is 100 on every architecture it runs on (it is part of the ABI). */
export const clockTicksPerSecond = 100;

let pageSizeBytes: number | undefined;
/** The page size RSS is counted in (4 KiB on x86-64, 4 or 64 KiB on arm64). */
export function pageSize(): number {
  if (pageSizeBytes === undefined) {
    try {
      pageSizeBytes = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;
    } catch {
      pageSizeBytes = 4096;
    }
  }
  return pageSizeBytes;
}

/** Parses one stat line; the command name may hold spaces and parentheses, so fields start after the last `)`. */
export function parseStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number.parseInt(text, 10);
  // fields[0] is field 3 of proc(5) (state).
  const fields = text.slice(close + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  const stat: ProcStat = {
    pid,
    ppid: field(4),
    pgrp: field(5),
    session: field(6),
    ownTicks: field(14) + field(15),
    childTicks: field(16) + field(17),
    startTime: field(22),
    vsizeBytes: field(23),
    rssPages: field(24),
  };
  return Object.values(stat).every(Number.isFinite) ? stat : undefined;
}

/** Every process visible in `procRoot`; processes that end while being read are skipped. */
export const readProcessTable = (procRoot = '/proc', concurrency = 64): Promise<ProcStat[]> =>
  readEachProcess('stat', parseStat, procRoot, concurrency);

/**
 * `parse` of `/proc/<pid>/<file>` for every process visible in `procRoot`, where it gives a value;
 * processes that end while being read are skipped.
 */
export async function readEachProcess<T>(
  file: string,
  parse: (text: string) => T | undefined,
  procRoot = '/proc',
  concurrency = 64,
): Promise<T[]> {
  const pids = (await readdir(procRoot)).filter((name) => /^\d+$/.test(name));
  const values: T[] = [];
  // Bounded, so that a node with thousands of processes does not exhaust file descriptors.
  for (let start = 0; start < pids.length; start += concurrency) {
    const batch = pids.slice(start, start + concurrency);
    const read = await Promise.all(
      batch.map((pid) => readFile(`${procRoot}/${pid}/${file}`, 'utf8').then(parse, () => undefined)),
    );
    for (const value of read) if (value !== undefined) values.push(value);
  }
  return values;
}

/**
 * `readEachProcess` read synchronously, for the wrapper's checks after each payload: a hundred small
 * reads from /proc cost about 0.8 ms of CPU this way and about 5 ms as promises (an open, fstat,
 * read and close each through libuv's thread pool), and they block the pilot's loop only that
 * millisecond. The watchdog's periodic sampler keeps the asynchronous read.
 */
export function readEachProcessSync<T>(
  file: string,
  parse: (text: string) => T | undefined,
  procRoot = '/proc',
): T[] {
  const values: T[] = [];
  for (const pid of readdirSync(procRoot)) {
    if (!/^\d+$/.test(pid)) continue;
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${pid}/${file}`, 'utf8');
    } catch {
      continue;
    }
    const value = parse(text);
    if (value !== undefined) values.push(value);
  }
  return values;
}
