/**
 * The SiteDirector agent (shared/agents/site-director.ts), run on a schedule. From Lambda it drives
 * the AwsBatch elements only: Local and Slurm elements cannot be reached from here (the local
 * runtime drives Local ones, `muon site-director` on an edge node Slurm ones). Pilots get
 * `MUON_API_URL` and no credential: the job definition names the stack's pilot credentials secret
 * (`MUON_PILOT_CREDENTIALS_SECRET_ARN`), which each pilot reads itself with its job role. A
 * `MUON_PILOT_TOKEN` on this function is ignored with a warning: in the container overrides,
 * `DescribeJobs` would show it, and the pilot's payloads could read it in its environment.
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
  if (token)
    logger.warn(
      `${pilotTokenVariable} is set and ignored: AwsBatch pilots read their credentials from the pilot credentials secret only (docs/pilots.md, "Credentials")`,
    );

  const director = createSiteDirector({
    config,
    dynamo: deps.aws.dynamo,
    pilotsTable: tableName(deps.resources, 'pilots'),
    taskQueuesTable: tableName(deps.resources, 'taskQueues'),
    elements,
    pilotSpec: (ce) => ({ arguments: pilotArguments(ce, apiUrl ?? '') }),
    now: deps.now,
    logger,
  });
  return createScheduleHandler(logger, 'siteDirector', () => director.run());
}

export const handler = lambdaEntry(createHandler);
