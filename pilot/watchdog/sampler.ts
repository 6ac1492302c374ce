/**
 * The pilot's process sampler: every tick it reads the process table once, updates the figures
 * of every followed payload, then lets each watchdog run its checks. With hundreds of payloads
 * this is one scan of /proc per tick, not hundreds, and one timer.
 *
 * A payload's tree is its session and process group (the payload is spawned detached, so both
 * carry its pid), every descendant by parent pid, and every process once seen in the tree that
 * is still alive (so a daemon that double-forked away keeps counting and is killed with it).
 * CPU time adds each live member's own and waited-for children's time, so finished children
 * count too; the figure never decreases.
 */
import type { Logger } from '#shared/log.ts';
import { clockTicksPerSecond, type ProcStat, pageSize, readProcessTable } from './proc.ts';

export interface TreeSample {
  /** When the table was read (ms since the epoch). */
  readonly at: number;
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  readonly vsizeBytes: number;
  readonly pids: readonly number[];
}

/** One watchdog's view of the sampler. */
export interface SamplerClient {
  /** Follows the process tree of `rootPid` from the next tick. */
  follow(rootPid: number): void;
  /** Stops following; the last sample stays. */
  unfollow(): void;
  readonly sample: TreeSample | undefined;
  close(): void;
}

export interface ProcessSampler {
  readonly intervalMs: number;
  /** `onTick` runs after every scan while the client is open. */
  register(onTick: () => void | Promise<void>): SamplerClient;
  /** Stops the timer; open clients get no more ticks. */
  close(): void;
}

export interface ProcessSamplerOptions {
  readonly intervalMs: number;
  readonly procRoot?: string;
  readonly logger?: Logger;
}

interface TableIndex {
  readonly byPid: Map<number, ProcStat>;
  readonly children: Map<number, ProcStat[]>;
  readonly groups: Map<number, ProcStat[]>;
}

interface ClientState {
  readonly onTick: () => void | Promise<void>;
  root?: number;
  /** pid → start time of every process seen in the tree. */
  known: Map<number, number>;
  sample?: TreeSample;
}

export function createProcessSampler(options: ProcessSamplerOptions): ProcessSampler {
  const clients = new Set<ClientState>();
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;

  const tick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      const followed = [...clients].filter((client) => client.root !== undefined);
      if (followed.length > 0) {
        const table = await readProcessTable(options.procRoot);
        const index = indexTable(table);
        const at = Date.now();
        for (const client of followed) updateTree(client, index, at);
      }
      await Promise.all(
        [...clients].map(async (client) => {
          try {
            await client.onTick();
          } catch (error) {
            options.logger?.error('watchdog check failed', { error });
          }
        }),
      );
    } catch (error) {
      options.logger?.error('cannot read the process table', { error });
    } finally {
      ticking = false;
    }
  };

  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  return {
    intervalMs: options.intervalMs,
    register(onTick) {
      const state: ClientState = { onTick, known: new Map() };
      clients.add(state);
      if (!timer) {
        timer = setInterval(() => void tick(), options.intervalMs);
        timer.unref();
      }
      return {
        follow(rootPid) {
          state.root = rootPid;
          state.known = new Map();
        },
        unfollow() {
          state.root = undefined;
        },
        get sample() {
          return state.sample;
        },
        close() {
          clients.delete(state);
          if (clients.size === 0) stopTimer();
        },
      };
    },
    close() {
      clients.clear();
      stopTimer();
    },
  };
}

function indexTable(table: readonly ProcStat[]): TableIndex {
  const index: TableIndex = { byPid: new Map(), children: new Map(), groups: new Map() };
  const push = (map: Map<number, ProcStat[]>, key: number, stat: ProcStat) => {
    const list = map.get(key);
    if (list) list.push(stat);
    else map.set(key, [stat]);
  };
  for (const stat of table) {
    index.byPid.set(stat.pid, stat);
    push(index.children, stat.ppid, stat);
    push(index.groups, stat.pgrp, stat);
    if (stat.session !== stat.pgrp) push(index.groups, stat.session, stat);
  }
  return index;
}

function updateTree(client: ClientState, index: TableIndex, at: number): void {
  const root = client.root as number;
  const members = new Map<number, ProcStat>();
  const queue: ProcStat[] = [];
  const add = (stat: ProcStat | undefined) => {
    if (!stat || members.has(stat.pid)) return;
    const seen = client.known.get(stat.pid);
    // A pid reused by an unrelated process after ours ended is not ours.
    if (seen !== undefined && seen !== stat.startTime) return;
    members.set(stat.pid, stat);
    queue.push(stat);
  };
  add(index.byPid.get(root));
  for (const stat of index.groups.get(root) ?? []) add(stat);
  for (const pid of client.known.keys()) add(index.byPid.get(pid));
  for (let stat = queue.pop(); stat; stat = queue.pop()) {
    for (const child of index.children.get(stat.pid) ?? []) add(child);
  }
  let ticks = 0;
  let rssPages = 0;
  let vsizeBytes = 0;
  for (const stat of members.values()) {
    client.known.set(stat.pid, stat.startTime);
    ticks += stat.ownTicks + stat.childTicks;
    rssPages += stat.rssPages;
    vsizeBytes += stat.vsizeBytes;
  }
  client.sample = {
    at,
    cpuSeconds: Math.max(client.sample?.cpuSeconds ?? 0, ticks / clockTicksPerSecond),
    rssBytes: rssPages * pageSize(),
    vsizeBytes,
    pids: [...members.keys()],
  };
}

const shared = new Map<number, { sampler: ProcessSampler; users: number }>();

/**
 * The process-wide sampler for this tick length, shared by every job wrapper of the pilot;
 * `release` when done (the last release stops its timer).
 */
export function acquireSharedSampler(intervalMs: number, logger?: Logger) {
  let entry = shared.get(intervalMs);
  if (!entry) {
    entry = { sampler: createProcessSampler({ intervalMs, ...(logger ? { logger } : {}) }), users: 0 };
    shared.set(intervalMs, entry);
  }
  entry.users += 1;
  const held = entry;
  let released = false;
  return {
    sampler: held.sampler,
    release() {
      if (released) return;
      released = true;
      held.users -= 1;
      if (held.users === 0) {
        held.sampler.close();
        shared.delete(intervalMs);
      }
    },
  };
}
