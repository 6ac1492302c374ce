/**
 * DIRAC's task-queue match predicate (`TaskQueueDB.__generateTQMatchSQL`), as a pure function:
 * whether a task queue's jobs may run on a resource, and if not, the first rule that excludes
 * them, worded for the job's owner.
 *
 * - Owner group: the task queue's group is one the pilot serves (all of its VO when absent).
 * - CPU time: the task queue's bucketed CPU time is at most the pilot's.
 * - Site, GridCE, Platform, JobType: an empty task-queue set accepts any resource; otherwise one
 *   of the resource's values must be in it. An empty or ANY resource value constrains nothing.
 * - Banned sites: one of the resource's sites that the job accepts is not banned by the job
 *   (skipped for an ANY site).
 * - Tags: every tag of the task queue is offered by the resource (ANY offers all); the
 *   resource's required tags are all among the task queue's tags.
 * - Negative conditions (running limits, matching delays): excluded job types.
 */

import { containsAny, type ResourceDescription } from '#shared/matcher/resource-description.ts';
import type { TaskQueueDefinition } from '#shared/taskqueues/definition.ts';

/** A job type the resource must not get now, and why (DIRAC's Limiter negative condition). */
export interface Exclusion {
  readonly jobType: string;
  readonly reason: string;
}

export type MatchVerdict = { readonly match: true } | { readonly match: false; readonly reason: string };

const yes: MatchVerdict = { match: true };
const no = (reason: string): MatchVerdict => ({ match: false, reason });
const list = (values: readonly string[]) => (values.length === 0 ? 'none' : values.join(', '));

/** A multi-valued resource field: undefined when it constrains nothing (absent, empty or ANY). */
const constraint = (values: readonly string[] | undefined) =>
  values === undefined || values.length === 0 || containsAny(values) ? undefined : values;

/**
 * What the predicate reads of a resource, worked out once per resource: one request tests every
 * task queue of its VO, so the ANY checks and the tag set are not redone for each.
 */
interface Prepared {
  readonly groups?: readonly string[];
  readonly sites: readonly string[];
  readonly siteAny: boolean;
  readonly gridCEs?: readonly string[];
  readonly platforms?: readonly string[];
  readonly jobTypes?: readonly string[];
  /** Undefined: the resource offers ANY tag. */
  readonly tags?: ReadonlySet<string>;
}
const preparedResources = new WeakMap<ResourceDescription, Prepared>();

function prepare(resource: ResourceDescription): Prepared {
  let prepared = preparedResources.get(resource);
  if (!prepared) {
    const groups = constraint(resource.ownerGroups);
    const gridCEs = constraint(resource.gridCEs);
    const platforms = constraint(resource.platforms);
    const jobTypes = constraint(resource.jobTypes);
    const sites = resource.sites ?? [resource.site];
    prepared = {
      sites,
      siteAny: containsAny(sites),
      ...(groups ? { groups } : {}),
      ...(gridCEs ? { gridCEs } : {}),
      ...(platforms ? { platforms } : {}),
      ...(jobTypes ? { jobTypes } : {}),
      ...(containsAny(resource.tags) ? {} : { tags: new Set(resource.tags) }),
    };
    preparedResources.set(resource, prepared);
  }
  return prepared;
}

/** An empty task-queue set accepts anything; otherwise one of the resource's values must be in it. */
const offers = (taskQueueValues: readonly string[], resourceValues: readonly string[] | undefined) =>
  resourceValues === undefined ||
  taskQueueValues.length === 0 ||
  resourceValues.some((value) => taskQueueValues.includes(value));

export function matchTaskQueue(
  tq: TaskQueueDefinition,
  resource: ResourceDescription,
  exclusions: readonly Exclusion[] = [],
): MatchVerdict {
  return judge(tq, resource, exclusions, true);
}

/**
 * `matchTaskQueue` without the reason: what a search asks of every task queue of the VO on every
 * request, so no text is built for the hundreds that do not match.
 */
export function taskQueueMatches(
  tq: TaskQueueDefinition,
  resource: ResourceDescription,
  exclusions: readonly Exclusion[] = [],
): boolean {
  return judge(tq, resource, exclusions, false).match;
}

const refused: MatchVerdict = { match: false, reason: '' };

/** The predicate; the reason of a refusal is only worded when `explain`. */
function judge(
  tq: TaskQueueDefinition,
  resource: ResourceDescription,
  exclusions: readonly Exclusion[],
  explain: boolean,
): MatchVerdict {
  const because = (reason: () => string) => (explain ? no(reason()) : refused);
  const r = prepare(resource);
  if (r.groups && !r.groups.includes(tq.ownerGroup))
    return because(() => `owner group ${tq.ownerGroup} is not among the pilot's (${list(r.groups ?? [])})`);
  if (tq.cpuTime > resource.cpuTime)
    return because(() => `CPU time ${tq.cpuTime} > pilot's ${resource.cpuTime}`);

  if (!r.siteAny) {
    const accepted = tq.sites.length === 0 ? r.sites : r.sites.filter((site) => tq.sites.includes(site));
    if (accepted.length === 0)
      return because(() => `site ${list(r.sites)} is not among the job's sites (${list(tq.sites)})`);
    if (accepted.every((site) => tq.bannedSites.includes(site)))
      return because(() => `the job bans site ${list(accepted)}`);
  }
  if (!offers(tq.gridCEs, r.gridCEs))
    return because(
      () => `computing element ${list(r.gridCEs ?? [])} is not among the job's (${list(tq.gridCEs)})`,
    );
  if (!offers(tq.platforms, r.platforms))
    return because(
      () => `platform ${list(r.platforms ?? [])} is not among the job's (${list(tq.platforms)})`,
    );
  if (!offers(tq.jobTypes, r.jobTypes))
    return because(
      () => `job type ${list(tq.jobTypes)} is not among the pilot's (${list(r.jobTypes ?? [])})`,
    );

  const offered = r.tags;
  if (offered && tq.tags.some((tag) => !offered.has(tag))) {
    return because(() => {
      const missing = tq.tags.filter((tag) => !offered.has(tag));
      return `job needs tag${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
    });
  }
  if (resource.requiredTags.some((tag) => !tq.tags.includes(tag))) {
    return because(() => {
      const unmet = resource.requiredTags.filter((tag) => !tq.tags.includes(tag));
      return `pilot requires tag ${unmet.join(', ')}, which the job does not ask for`;
    });
  }

  for (const exclusion of exclusions)
    if (tq.jobTypes.includes(exclusion.jobType)) return because(() => exclusion.reason);
  return yes;
}
