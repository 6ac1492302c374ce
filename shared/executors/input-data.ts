/**
 * InputData looks up where the job's input files have replicas (the file catalog) and narrows the
 * candidate sites to those holding every file, counting disk and tape replicas per site as DIRAC
 * does (`SiteCandidates`). A file with no replica fails the job.
 */
import type { MuonConfig } from '#shared/config/schema.ts';
import type { Executor } from '#shared/executors/executor.ts';

export interface Replica {
  readonly lfn: string;
  readonly se: string;
}

export interface FileCatalogPort {
  /** Every replica of each LFN; LFNs with none are absent from the result. */
  replicas(lfns: readonly string[]): Promise<ReadonlyMap<string, readonly Replica[]>>;
}

export function createInputData(config: MuonConfig, catalog: FileCatalogPort): Executor {
  const sitesOfSe = new Map<string, string[]>();
  for (const [site, definition] of Object.entries(config.sites)) {
    if (definition.banned) continue;
    for (const se of definition.storageElements) sitesOfSe.set(se, [...(sitesOfSe.get(se) ?? []), site]);
  }
  return {
    name: 'InputData',
    optimize: async (job) => {
      const lfns = job.description.inputData;
      if (lfns.length === 0) return { kind: 'continue' };
      const replicas = await catalog.replicas(lfns);
      const missing = lfns.filter((lfn) => (replicas.get(lfn) ?? []).length === 0);
      if (missing.length > 0) {
        return {
          kind: 'fail',
          reason: 'Input data not available',
          detail: `No replica of: ${missing.slice(0, 10).join(', ')}`,
        };
      }
      const counts = new Map<string, { disk: number; tape: number; files: Set<string> }>();
      for (const lfn of lfns) {
        for (const replica of replicas.get(lfn) ?? []) {
          const kind = config.storageElements[replica.se]?.kind ?? 'disk';
          for (const site of sitesOfSe.get(replica.se) ?? []) {
            const entry = counts.get(site) ?? { disk: 0, tape: 0, files: new Set<string>() };
            entry[kind] += 1;
            entry.files.add(lfn);
            counts.set(site, entry);
          }
        }
      }
      // A site is a candidate only if it holds a replica of every file.
      const siteCandidates = Object.fromEntries(
        [...counts]
          .filter(([, entry]) => entry.files.size === lfns.length)
          .map(([site, { disk, tape }]) => [site, { disk, tape }]),
      );
      if (Object.keys(siteCandidates).length === 0) {
        return {
          kind: 'fail',
          reason: 'No candidate sites available',
          detail: 'No single active site holds replicas of all the input files',
        };
      }
      return { kind: 'continue', changes: { siteCandidates } };
    },
  };
}
