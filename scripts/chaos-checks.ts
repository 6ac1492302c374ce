/**
 * What the chaos run asserts once every job has ended: no job lost, every job final, no job whose
 * payload ran twice at the same time (from the payloads' ledger), and no output of a Done job
 * missing (downloaded as `muon job output` does).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient } from '#cli/client.ts';
import { downloadJobOutputs } from '#cli/outputs.ts';

export const finalStatuses = new Set(['Done', 'Failed', 'Killed']);

/** A payload: `S tag pid ms` when it starts, `E tag pid ms` when it ends, `K - pid ms` when killed. */
export interface Run {
  readonly tag: string;
  readonly pid: number;
  readonly start: number;
  readonly end: number;
}

/**
 * The payload's runs from the ledger. A run with no end line was killed (by the chaos, or with
 * its pilot); it ended at its kill or, the payload sleeping one second, `longestMs` after it began.
 */
export function runsOf(ledger: string, longestMs: number): Run[] {
  const lines = existsSync(ledger) ? readFileSync(ledger, 'utf8').split('\n').filter(Boolean) : [];
  const starts = new Map<number, { tag: string; start: number }>();
  const ends = new Map<number, number>();
  for (const line of lines) {
    const [kind, tag, pid, ms] = line.split(' ');
    if (kind === 'S') starts.set(Number(pid), { tag: tag as string, start: Number(ms) });
    else if (kind === 'E' || kind === 'K')
      ends.set(Number(pid), Math.min(ends.get(Number(pid)) ?? Infinity, Number(ms)));
  }
  return [...starts].map(([pid, { tag, start }]) => ({
    tag,
    pid,
    start,
    end: Math.min(ends.get(pid) ?? Infinity, start + longestMs),
  }));
}

/** Tags whose payload had two runs at once. */
export function overlapping(runs: readonly Run[]): string[] {
  const byTag = new Map<string, Run[]>();
  for (const run of runs) byTag.set(run.tag, [...(byTag.get(run.tag) ?? []), run]);
  const twice: string[] = [];
  for (const [tag, list] of byTag) {
    const sorted = [...list].sort((a, b) => a.start - b.start);
    if (sorted.some((run, i) => i > 0 && run.start < (sorted[i - 1] as Run).end)) twice.push(tag);
  }
  return twice;
}

/**
 * Whether a Done job's output file is there with its tag in it, as its owner would fetch it. S3
 * still answers some requests 503 while the checks run, so a download is tried a few times, as a
 * user would; `why` gets the last error.
 */
export async function outputPresent(
  client: ApiClient,
  jobId: number,
  tag: string,
  dir: string,
  why: (message: string) => void = () => undefined,
): Promise<boolean> {
  for (let attempt = 1; attempt <= 4; attempt++) {
    const target = join(dir, `job-${jobId}-${attempt}`);
    mkdirSync(target, { recursive: true });
    try {
      const result = await downloadJobOutputs(client, jobId, { dir: target, data: false });
      const file = [...result.unpacked.map((p) => join(target, p)), join(target, 'out.txt')].find(
        (p) => p.endsWith('out.txt') && existsSync(p),
      );
      if (file !== undefined && readFileSync(file, 'utf8').trim() === tag) return true;
      why(`job ${jobId}: no out.txt with ${tag} among ${JSON.stringify(result.unpacked)}`);
    } catch (error) {
      why(`job ${jobId}: ${(error as Error).message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return false;
}
