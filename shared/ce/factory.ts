/**
 * Computing elements from the configuration document. The caller (the site director's entry, the
 * local runtime, a test) passes what varies by place: the home directory, the environment and how
 * to make an AWS Batch client.
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BatchClient } from '@aws-sdk/client-batch';
import type { MuonConfig, SiteConfig } from '#shared/config/schema.ts';
import { ConfigurationError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';
import { createAwsBatchComputingElement } from './aws-batch.ts';
import {
  type ComputingElement,
  type ComputingElementType,
  computingElementTypes,
  type PilotLimits,
} from './computing-element.ts';
import { createLocalComputingElement } from './local.ts';
import { createSlurmComputingElement } from './slurm.ts';

export type ComputingElementConfig = SiteConfig['computingElements'][string];

/** Environment variables that name the stack's pilot queue and job definition (set by CDK). */
export const batchEnvironmentNames = {
  jobQueue: 'MUON_PILOT_JOB_QUEUE',
  jobDefinition: 'MUON_PILOT_JOB_DEFINITION',
} as const;

export interface ComputingElementDeps {
  /** `$MUON_HOME`: Local and Slurm pilots' work directories default to `<home>/pilots/<site>/<ce>`. */
  readonly home: string;
  /** Environment of pilots and batch commands; AwsBatch defaults and `AWS_REGION` come from it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Needed only for AwsBatch elements. */
  readonly batchClient?: (region: string) => BatchClient;
  readonly logger?: Logger;
  /** Default: this machine's host name. */
  readonly hostname?: string;
}

/** This checkout's `muon` command, run by this Node.js. */
const thisMuon = (): string[] => [
  process.execPath,
  fileURLToPath(new URL('../../bin/muon.mjs', import.meta.url)),
];

export function createComputingElement(
  site: string,
  name: string,
  config: ComputingElementConfig,
  deps: ComputingElementDeps,
): ComputingElement {
  const limits: PilotLimits = {
    maxPilots: config.maxPilots,
    maxWaitingPilots: config.maxWaitingPilots ?? config.maxPilots,
  };
  const setting = (key: string) => `sites.${site}.computingElements.${name}.settings.${key}`;
  const workDir = (given: string | undefined) => resolve(given ?? join(deps.home, 'pilots', site, name));
  const common = { site, name, limits, ...(deps.logger ? { logger: deps.logger } : {}) };
  switch (config.type) {
    case 'Local':
      return createLocalComputingElement({
        ...common,
        workDir: workDir(config.settings.workDir),
        command: config.settings.command ?? thisMuon(),
        hostname: deps.hostname ?? hostname(),
        env: deps.env,
      });
    case 'Slurm':
      return createSlurmComputingElement({
        ...common,
        settings: config.settings,
        workDir: workDir(config.settings.workDir),
        processors: config.processors,
        ...(config.memoryMb !== undefined ? { memoryMb: config.memoryMb } : {}),
        env: deps.env,
      });
    case 'AwsBatch': {
      const region = config.settings.region ?? deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION;
      const jobQueue = config.settings.jobQueue ?? deps.env[batchEnvironmentNames.jobQueue];
      const jobDefinition = config.settings.jobDefinition ?? deps.env[batchEnvironmentNames.jobDefinition];
      const missing = (key: string, variable: string) =>
        new ConfigurationError(`${setting(key)}: not set, and neither is ${variable}.`);
      if (!region) throw missing('region', 'AWS_REGION');
      if (!jobQueue) throw missing('jobQueue', batchEnvironmentNames.jobQueue);
      if (!jobDefinition) throw missing('jobDefinition', batchEnvironmentNames.jobDefinition);
      if (!deps.batchClient) {
        throw new ConfigurationError(
          `sites.${site}.computingElements.${name}: no AWS Batch client was given.`,
        );
      }
      return createAwsBatchComputingElement({
        ...common,
        client: deps.batchClient(region),
        region,
        jobQueue,
        jobDefinition,
      });
    }
  }
}

/**
 * Every computing element of every site (of the given types only, when named), banned sites
 * included: their pilots still need watching. The site director decides where to submit.
 */
export function createComputingElements(
  config: MuonConfig,
  deps: ComputingElementDeps,
  types: readonly ComputingElementType[] = computingElementTypes,
): ComputingElement[] {
  return Object.entries(config.sites).flatMap(([site, siteConfig]) =>
    Object.entries(siteConfig.computingElements)
      .filter(([, ce]) => types.includes(ce.type))
      .map(([name, ce]) => createComputingElement(site, name, ce, deps)),
  );
}
