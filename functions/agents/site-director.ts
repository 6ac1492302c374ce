/**
 * The SiteDirector agent (shared/agents/site-director.ts), run on a schedule. From Lambda it drives
 * the AwsBatch elements only: Local and Slurm elements cannot be reached from here (the local
 * runtime drives Local ones, `muon site-director` on an edge node Slurm ones). Pilots get
 * `MUON_API_URL`; they authenticate with the OAuth2 client that the job definition hands them from
 * the stack's pilot credentials secret, unless this function has a `MUON_PILOT_TOKEN`, which then
 * goes to every pilot as its `MUON_TOKEN` (and wins over the client).
 */
import { BatchClient } from '@aws-sdk/client-batch';
import { createSiteDirector, pilotArguments, pilotTokenVariable } from '#shared/agents/site-director.ts';
import { createComputingElements } from '#shared/ce/index.ts';
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { createScheduleHandler } from '#shared/schedule/handler.ts';

type Env = Readonly<Record<string, string | undefined>>;

export function createHandler(deps: Deps, env: Env = process.env) {
  const { config, logger } = deps;
  const unreachable = Object.entries(config.sites).flatMap(([site, siteConfig]) =>
    Object.entries(siteConfig.computingElements)
      .filter(([, ce]) => ce.type !== 'AwsBatch')
      .map(([name]) => `${site}/${name}`),
  );
  if (unreachable.length > 0) {
    logger.info('site director: Local and Slurm computing elements are not driven from Lambda', {
      elements: unreachable,
    });
  }
  const clients = new Map<string, BatchClient>();
  const batchClient = (region: string) => {
    let client = clients.get(region);
    if (!client) {
      client = new BatchClient({ region });
      clients.set(region, client);
    }
    return client;
  };
  const elements = createComputingElements(config, { home: '/tmp', env, batchClient, logger }, ['AwsBatch']);
  const apiUrl = env.MUON_API_URL;
  const token = env[pilotTokenVariable];
  if (elements.length > 0 && !apiUrl)
    throw new ConfigurationError('MUON_API_URL is not set: the site director tells pilots where the API is.');
  if (elements.length > 0 && token)
    logger.info(`${pilotTokenVariable} is set: pilots use it instead of the pilot credentials secret`);

  const director = createSiteDirector({
    config,
    dynamo: deps.aws.dynamo,
    pilotsTable: tableName(deps.resources, 'pilots'),
    taskQueuesTable: tableName(deps.resources, 'taskQueues'),
    elements,
    pilotSpec: (ce) => ({
      arguments: pilotArguments(ce, apiUrl ?? ''),
      env: token ? { MUON_TOKEN: token } : ({} as Record<string, string>),
    }),
    now: deps.now,
    logger,
  });
  return createScheduleHandler(logger, 'siteDirector', () => director.run());
}

export const handler = lambdaEntry(createHandler);
