/**
 * What a push pilot works with: a Slurm computing element of the configuration (where the HPC's
 * jobs are matched), its Slurm settings (partition, account, sbatch options, time limit) and its
 * push settings (`settings.push`: capacity, shared work directory, network isolation, polling),
 * each overridden by the command line's options.
 */
import {
  type ChosenComputingElement,
  type ComputingElementConfig,
  computingElements,
} from '#pilot/computing-element.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { ConfigurationError } from '#shared/errors.ts';

type SlurmComputingElement = Extract<ComputingElementConfig, { type: 'Slurm' }>;

export interface PushOverrides {
  readonly site?: string | undefined;
  readonly ce?: string | undefined;
  readonly partition?: string | undefined;
  readonly account?: string | undefined;
  readonly maxJobs?: number | undefined;
  readonly nodes?: number | undefined;
  readonly coresPerNode?: number | undefined;
  readonly workDir?: string | undefined;
  readonly isolateNetwork?: boolean | undefined;
  readonly pollSeconds?: number | undefined;
}

export interface PushSettings {
  readonly site: string;
  readonly gridCE: string;
  readonly ce: SlurmComputingElement;
  readonly partition?: string | undefined;
  readonly account?: string | undefined;
  readonly sbatchOptions: readonly string[];
  readonly timeLimitMinutes?: number | undefined;
  readonly maxJobs: number;
  readonly nodes: number;
  readonly coresPerNode: number;
  readonly memoryMbPerNode?: number | undefined;
  /** Absent: a temporary directory (only right when the compute nodes see this machine's /tmp). */
  readonly workDir?: string | undefined;
  readonly isolateNetwork: boolean;
  readonly pollSeconds: number;
}

export function resolvePushSettings(config: MuonConfig, overrides: PushOverrides = {}): PushSettings {
  const { site, gridCE, ce } = chooseSlurmElement(config, overrides.site, overrides.ce);
  const push = ce.settings.push;
  const coresPerNode = overrides.coresPerNode ?? push?.coresPerNode ?? ce.processors;
  const nodes = overrides.nodes ?? push?.nodes ?? 1;
  return {
    site,
    gridCE,
    ce,
    partition: overrides.partition ?? ce.settings.partition,
    account: overrides.account ?? ce.settings.account,
    sbatchOptions: ce.settings.sbatchOptions,
    timeLimitMinutes: ce.settings.timeLimitMinutes,
    maxJobs: overrides.maxJobs ?? push?.maxJobs ?? nodes * coresPerNode,
    nodes,
    coresPerNode,
    memoryMbPerNode: ce.memoryMb,
    workDir: overrides.workDir ?? push?.workDir,
    isolateNetwork: overrides.isolateNetwork ?? push?.isolateNetwork ?? true,
    pollSeconds: overrides.pollSeconds ?? push?.pollSeconds ?? 5,
  };
}

/** The Slurm CE named, or the configuration's only one. */
function chooseSlurmElement(config: MuonConfig, site?: string, gridCE?: string) {
  const all = computingElements(config);
  const slurm = all.filter(
    (entry): entry is ChosenComputingElement<SlurmComputingElement> =>
      entry.ce.type === 'Slurm' &&
      (site === undefined || entry.site === site) &&
      (gridCE === undefined || entry.gridCE === gridCE),
  );
  const [chosen, other] = slurm;
  if (chosen && !other) return chosen;
  const known = all
    .filter((entry) => entry.ce.type === 'Slurm')
    .map((entry) => `${entry.site}/${entry.gridCE}`);
  if (chosen) {
    throw new ConfigurationError(
      `The configuration has several Slurm computing elements (${known.join(', ')}): pass --site and --ce to say which one this push pilot serves.`,
    );
  }
  throw new ConfigurationError(
    `No Slurm computing element${gridCE ? ` "${gridCE}"` : ''}${site ? ` at ${site}` : ''} in the configuration (Slurm ones: ${known.join(', ') || 'none'}); push mode submits payloads to a Slurm computing element of the configuration.`,
  );
}
