/**
 * DIRAC's grouping plugins (TransformationPlugin): how Unused files become tasks. Standard makes
 * tasks of `groupSize` files; BySize closes a task once its files reach `groupBytes` (or
 * `groupSize` files). A last, smaller group is made only when the transformation flushes (no file
 * joined for a while, or nothing more can join), as DIRAC's plugins do with `flush`.
 */
import type { GroupingPlugin } from '#shared/transformations/model.ts';

export interface Candidate {
  readonly lfn: string;
  readonly size?: number;
}

export interface GroupingSettings {
  readonly plugin: GroupingPlugin;
  readonly groupSize: number;
  readonly groupBytes?: number;
}

/** The groups to make from `candidates` (in LFN order); a partial last group only with `flush`. */
export function groupFiles(
  candidates: readonly Candidate[],
  settings: GroupingSettings,
  flush: boolean,
): Candidate[][] {
  const sorted = [...candidates].sort((a, b) => (a.lfn < b.lfn ? -1 : a.lfn > b.lfn ? 1 : 0));
  const groups: Candidate[][] = [];
  let current: Candidate[] = [];
  let bytes = 0;
  const full = () =>
    current.length >= settings.groupSize ||
    (settings.plugin === 'BySize' && bytes >= (settings.groupBytes ?? Number.POSITIVE_INFINITY));
  for (const candidate of sorted) {
    current.push(candidate);
    bytes += candidate.size ?? 0;
    if (full()) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (flush && current.length > 0) groups.push(current);
  return groups;
}
