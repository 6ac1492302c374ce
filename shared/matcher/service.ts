/**
 * The Matcher (DIRAC's `Matcher.selectJob`): a pilot sends what it offers and gets one job, or no
 * match with the reason. In order: the pilot's credentials and VO (only a bound, registered pilot
 * asks, under its own reference); its Site and GridCE, which are those it registered with (from
 * the pilot record the binding read); the resource description, normalised; the site mask (a banned site
 * only gets Test jobs); the Limiter's exclusions; the task queues that match; one job claimed by a
 * single conditional write, the match's only write (the pilot's record lists the job once the
 * pilot reports on it: shared/pilots/started-jobs.ts). A request
 * with a `RequestID` that already claimed a job still Matched to its pilot gets that job again
 * (repeats.ts), with no second claim.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Identity } from '#shared/auth/identity.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { ForbiddenError, ValidationError } from '#shared/errors.ts';
import { isAdministrator, isPilot } from '#shared/jobs/access.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { matchRequestKey } from '#shared/jobs/store/keys.ts';
import type { Logger } from '#shared/log.ts';
import { type MatchAnswer, matchedJob, noMatch } from '#shared/matcher/answer.ts';
import { createCandidateEntries } from '#shared/matcher/candidates.ts';
import { createTaskQueueCatalogue } from '#shared/matcher/catalogue.ts';
import { createEntryRemovals } from '#shared/matcher/entry-removals.ts';
import { findAndClaim } from '#shared/matcher/find.ts';
import { createLimiter } from '#shared/matcher/limits.ts';
import { createMatchingQueues } from '#shared/matcher/matching-queues.ts';
import { createPilotsSeen } from '#shared/matcher/pilots-seen.ts';
import { type Exclusion, matchTaskQueue, taskQueueMatches } from '#shared/matcher/predicate.ts';
import { createRepeats } from '#shared/matcher/repeats.ts';
import { claimRequestedJob } from '#shared/matcher/requested-job.ts';
import {
  atRegistration,
  type MatchRequest,
  normalise,
  type PlacedRequest,
  type ResourceDescription,
} from '#shared/matcher/resource-description.ts';
import type { Random } from '#shared/matcher/select.ts';
import type { TaskQueueItem } from '#shared/taskqueues/store.ts';

export interface MatcherDeps {
  readonly config: MuonConfig;
  readonly dynamo: DynamoDBDocumentClient;
  readonly tables: { readonly jobs: string; readonly taskQueues: string };
  readonly workflow: (workflowId: string | undefined) => Promise<unknown>;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly random?: Random;
}

/**
 * The reference a request is made under: the bound pilot's own (a different PilotReference in the
 * body is refused). Only pilots match, and only registered ones: an administrator's token (which
 * the binding lets through unbound) or a pilot token without its credential gets no job.
 */
export function requestingPilot(identity: Identity, request: MatchRequest): string {
  if (!isPilot(identity) || identity.pilotReference === undefined)
    throw new ForbiddenError(
      isPilot(identity) || isAdministrator(identity)
        ? `Only a registered pilot asks for jobs, with X-Muon-Pilot and X-Muon-Pilot-Secret; ${identity.group} did not prove to be one.`
        : `Only pilots (GenericPilot) may ask for jobs; ${identity.group} is not a pilot group.`,
      'matcher.not_a_pilot',
    );
  const bound = identity.pilotReference;
  if (request.PilotReference !== undefined && request.PilotReference !== bound)
    throw new ForbiddenError(
      `PilotReference ${request.PilotReference} is not the pilot this request comes from (${bound}).`,
    );
  return bound;
}

export function createMatcher(deps: MatcherDeps) {
  const settings = deps.config.matcher;
  const random = deps.random ?? Math.random;
  const catalogue = createTaskQueueCatalogue({
    dynamo: deps.dynamo,
    table: deps.tables.taskQueues,
    cacheSeconds: settings.taskQueueCacheSeconds,
    now: deps.now,
  });
  const limiter = createLimiter({
    config: deps.config,
    dynamo: deps.dynamo,
    jobsTable: deps.tables.jobs,
    now: deps.now,
  });
  const matchingQueues = createMatchingQueues();
  const removeClaimed = createEntryRemovals(deps.dynamo, deps.tables.taskQueues, deps.logger);
  // Stale kept entries only cost a failed claim; half a minute bounds how many another instance made stale.
  const kept = createCandidateEntries({ now: () => deps.now().getTime(), keepMs: 30_000, limit: 100_000 });
  const pilots = createPilotsSeen({
    dynamo: deps.dynamo,
    table: deps.tables.taskQueues,
    reportSeconds: settings.pilotReportSeconds,
    keepSeconds: settings.pilotsSeenSeconds,
    now: deps.now,
  });
  // Past confirmSeconds an unconfirmed match goes back to Waiting: no repeat can find it after.
  const repeats = createRepeats({
    dynamo: deps.dynamo,
    jobsTable: deps.tables.jobs,
    now: deps.now,
    keepSeconds: settings.confirmSeconds,
  });

  /** The request at the Site and GridCE its pilot registered with, from the record the binding read. */
  function placed(identity: Identity, pilotReference: string, request: MatchRequest): PlacedRequest {
    const registered = identity.pilotRegistration;
    // The binding sets it with pilotReference (shared/pilots/binding.ts); no table is read here.
    if (!registered)
      throw new ForbiddenError(
        `Pilot ${pilotReference} is not registered in ${identity.vo}: register with POST /api/pilots.`,
        'matcher.unregistered',
      );
    return atRegistration(request, { pilotReference, ...registered }, deps.config.sites);
  }

  /** The pilot's description with the site mask applied, and what the mask changed. */
  function describe(
    identity: Identity,
    request: PlacedRequest,
  ): { resource: ResourceDescription; masked?: string } {
    if (request.VirtualOrganization !== undefined && request.VirtualOrganization !== identity.vo)
      throw new ForbiddenError(
        `The pilot's token is for ${identity.vo}, not ${request.VirtualOrganization}.`,
      );
    const resource = normalise(request);
    const groups = deps.config.virtualOrganizations[identity.vo]?.groups ?? {};
    const unknown = (resource.ownerGroups ?? []).filter((g) => !(g in groups));
    if (unknown.length > 0)
      throw new ValidationError(
        `OwnerGroup ${unknown.join(', ')} is not a group of ${identity.vo} (${Object.keys(groups).join(', ')}).`,
        { code: 'matcher.unknown_group' },
      );
    const sites = resource.sites ?? [resource.site];
    const open = sites.filter((site) => !deps.config.sites[site]?.banned);
    if (open.length === 0) {
      return {
        resource: { ...resource, jobTypes: ['Test'] },
        masked: `site ${sites.join(', ')} is banned, so it only gets Test jobs`,
      };
    }
    return { resource: open.length === sites.length ? resource : { ...resource, sites: open } };
  }

  return {
    limiter,
    pilots,
    catalogue,

    async request(identity: Identity, asked: MatchRequest): Promise<MatchAnswer> {
      const pilotReference = requestingPilot(identity, asked);
      const request = placed(identity, pilotReference, asked);
      const { resource, masked } = describe(identity, request);
      if (asked.RequestID === undefined) return search(identity, pilotReference, request, resource, masked);
      const key = matchRequestKey(pilotReference, asked.RequestID);
      return repeats.once(key, async () => {
        const earlier = await repeats.earlier(key, pilotReference, asked.Repeat === true);
        if (earlier) return matchedJob(earlier, await workflowOf(earlier));
        const answer = await search(identity, pilotReference, request, resource, masked, key);
        if (answer.match) repeats.remember(key, (answer.job as { JobID: number }).JobID);
        return answer;
      });
    },
  };

  /** A new match: the task queues searched and one job claimed, under `matchRequest` if given. */
  async function search(
    identity: Identity,
    pilotReference: string,
    request: PlacedRequest,
    resource: ResourceDescription,
    masked: string | undefined,
    matchRequest?: string,
  ): Promise<MatchAnswer> {
    const vo = identity.vo;
    const seen = {
      site: resource.site,
      gridCE: request.GridCE,
      pilotReference,
      description: resource,
    };
    const [, exclusions] = await Promise.all([
      pilots
        .report(vo, seen)
        .catch((error: unknown) => deps.logger.warn('could not record the pilot', { error })),
      limiter.exclusions(vo, resource.site),
    ]);
    const claimant = {
      vo,
      site: resource.site,
      pilotReference,
      time: deps.now().toISOString(),
      ...(matchRequest !== undefined ? { matchRequest } : {}),
    };
    const because = (reason: string) => noMatch(masked ? `${reason} (${masked})` : reason);

    if (request.JobID !== undefined) {
      const outcome = await claimRequestedJob(deps, request.JobID, resource, exclusions, claimant);
      if (!outcome.ok) return because(outcome.reason);
      return matched(outcome.job);
    }

    const found = await findAndClaim(
      {
        dynamo: deps.dynamo,
        jobsTable: deps.tables.jobs,
        taskQueuesTable: deps.tables.taskQueues,
        catalogue,
        removeClaimed,
        kept,
        random,
      },
      {
        list: (since) => catalogue.list(vo, since),
        matches: (tq) => taskQueueMatches(tq.definition, resource, exclusions),
        select: (queues) => matchingQueues(queues, resource, exclusions),
      },
      claimant,
    );
    if (found.found) return matched(found.job);
    if (found.candidates === 0) return because(whyNone(found.queues, resource, exclusions, vo));
    return because(`the ${found.candidates} matching task queue(s) have no waiting job left`);
  }

  function workflowOf(job: JobRecord): Promise<unknown> {
    return job.description.kind === 'cwl' ? deps.workflow(job.description.workflowId) : Promise.resolve();
  }

  async function matched(job: JobRecord): Promise<MatchAnswer> {
    limiter.recordMatch(job.vo, job.site, job.jobType);
    return matchedJob(job, await workflowOf(job));
  }
}
export type Matcher = ReturnType<typeof createMatcher>;

/** Why no task queue matched: the commonest reasons among the VO's task queues. */
export function whyNone(
  queues: readonly TaskQueueItem[],
  resource: ResourceDescription,
  exclusions: readonly Exclusion[],
  vo: string,
): string {
  if (queues.length === 0) return `no job of ${vo} is waiting`;
  const reasons = new Map<string, number>();
  for (const tq of queues) {
    const verdict = matchTaskQueue(tq.definition, resource, exclusions);
    if (!verdict.match) reasons.set(verdict.reason, (reasons.get(verdict.reason) ?? 0) + 1);
  }
  const top = [...reasons.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([reason, count]) => `${reason} (${count})`);
  return `none of the ${queues.length} task queue(s) of ${vo} matches: ${top.join('; ')}`;
}
