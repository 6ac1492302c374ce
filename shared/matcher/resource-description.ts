/**
 * What a pilot offers: DIRAC's ceDict as the pilot sends it (`requestSchema`), and the match
 * description the matcher derives from it (`ResourceDescription`), as DIRAC's
 * `Matcher._processResourceDescription` does: processors, memory, whole node and GPU become tags;
 * `Tag` may be a list or DIRAC's string form `"[a, 'b']"`. `Site` and `GridCE` are where the pilot
 * registered (`atRegistration`): a pilot may leave them out, and may not claim another place.
 */

import { z } from 'zod';
import { isAny } from '#shared/config/platforms.ts';
import { ForbiddenError, ValidationError } from '#shared/errors.ts';

const name = z.string().min(1).max(256);
const nameOrList = z.union([name, z.array(name)]);
const flag = z.union([z.boolean(), z.enum(['True', 'False', 'true', 'false', 'yes', 'no'])]);

export const requestSchema = z
  .strictObject({
    /** Optional: the site the pilot registered at is used, and no other is accepted. */
    Site: name.optional(),
    GridCE: name.optional(),
    Platform: nameOrList.optional(),
    JobType: nameOrList.optional(),
    Tag: nameOrList.optional(),
    RequiredTag: nameOrList.optional(),
    CPUTime: z.number().nonnegative({ error: 'CPUTime is seconds of normalised CPU time, at least 0' }),
    NumberOfProcessors: z.number().int().positive().optional(),
    /** Megabytes. */
    MaxRAM: z.number().positive().optional(),
    WholeNode: flag.optional(),
    GPU: z.union([z.number().int().nonnegative(), flag]).optional(),
    OwnerGroup: nameOrList.optional(),
    PilotReference: name.optional(),
    /** A pilot may ask for one job (DIRAC's JobID in the ceDict). */
    JobID: z.number().int().positive().optional(),
    // Sent by DIRAC pilots; accepted and not used for matching.
    VirtualOrganization: name.optional(),
    ReleaseVersion: z.string().optional(),
    ReleaseProject: z.string().optional(),
    DIRACVersion: z.string().optional(),
    PilotBenchmark: z.number().optional(),
    PilotInfoReportedFlag: flag.optional(),
    GridMiddleware: z.string().optional(),
    CEQueue: z.string().optional(),
  })
  .describe('A pilot resource description (DIRAC ceDict)');
export type MatchRequest = z.infer<typeof requestSchema>;
/** A request placed at its site and computing element, as `atRegistration` gives it. */
export type PlacedRequest = MatchRequest & { readonly Site: string; readonly GridCE: string };

/** Where a pilot registered (its pilot record's `site` and `gridCE`). */
export interface Registration {
  readonly pilotReference: string;
  readonly site: string;
  readonly gridCE: string;
}

/**
 * The request at the site and computing element the pilot registered with. A pilot token is shared
 * by the VO's pilots, so a claimed Site is only believed when the registration says the same:
 * otherwise a pilot could take jobs meant for (or banned from) another site.
 */
export function atRegistration(request: MatchRequest, registered: Registration): PlacedRequest {
  const contradicts = (asked: string | undefined, held: string) => asked !== undefined && asked !== held;
  if (contradicts(request.Site, registered.site) || contradicts(request.GridCE, registered.gridCE)) {
    throw new ForbiddenError(
      `Pilot ${registered.pilotReference} registered at Site ${registered.site}, GridCE ${registered.gridCE}; it asked for Site ${request.Site ?? registered.site}, GridCE ${request.GridCE ?? registered.gridCE}. A pilot matches only where it registered.`,
      'matcher.site_mismatch',
    );
  }
  return { ...request, Site: registered.site, GridCE: registered.gridCE };
}

/** The normalised description the predicate reads. Absent multi-valued fields constrain nothing. */
export interface ResourceDescription {
  readonly site: string;
  readonly gridCEs?: readonly string[];
  readonly platforms?: readonly string[];
  readonly jobTypes?: readonly string[];
  /** Absent in the request: no tags at all (a task queue with tags does not match). */
  readonly tags: readonly string[];
  readonly requiredTags: readonly string[];
  readonly cpuTime: number;
  readonly ownerGroups?: readonly string[];
}

/** DIRAC's "ANY": a value that, stripped of punctuation, reads `any` in any case. */
export const containsAny = (values: readonly string[] | undefined): boolean => values?.some(isAny) ?? false;

/** A list, or DIRAC's string form of one: `"[a, 'b']"`, `"a, b"`, `"a"`. */
export function parseList(value: string | readonly string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return [...value];
  const inner = value.trim().replace(/^\[/, '').replace(/\]$/, '');
  return inner
    .split(',')
    .map((item) => item.trim().replace(/^['"]|['"]$/g, ''))
    .filter((item) => item.length > 0);
}

const truthy = (value: boolean | string | number | undefined) =>
  value === true ||
  value === 'True' ||
  value === 'true' ||
  value === 'yes' ||
  (typeof value === 'number' && value > 0);

/** The tags a resource offers besides its own: DIRAC's processor, memory and whole-node tags. */
export function derivedTags(
  request: Pick<MatchRequest, 'NumberOfProcessors' | 'MaxRAM' | 'WholeNode' | 'GPU'>,
) {
  const tags: string[] = [];
  // DIRAC divides by 1000 here (and by 1024 in matchQueue): a 4000 MB pilot offers 2GB..4GB.
  if (request.MaxRAM !== undefined) {
    const gb = Math.trunc(request.MaxRAM / 1000);
    if (gb <= 1024) for (let g = 2; g <= gb; g += 1) tags.push(`${g}GB`);
  }
  const processors = request.NumberOfProcessors ?? 1;
  for (let n = 2; n <= processors; n += 1) tags.push(`${n}Processors`);
  if (processors > 1) tags.push('MultiProcessor');
  if (truthy(request.WholeNode)) tags.push('WholeNode');
  if (truthy(request.GPU)) tags.push('GPU');
  return tags;
}

/**
 * The match description of a request. Contradictions are refused with what to fix: a RequiredTag
 * the pilot does not offer among its tags (DIRAC's "Wrong conditions").
 */
export function normalise(request: MatchRequest & { readonly Site: string }): ResourceDescription {
  const ownTags = parseList(request.Tag);
  const derived = derivedTags(request);
  const required = parseList(request.RequiredTag) ?? [];
  const hasTags = ownTags !== undefined || derived.length > 0;
  const tags = [...new Set([...(ownTags ?? []), ...derived])];
  if (required.length > 0 && !containsAny(required)) {
    if (!hasTags) {
      throw new ValidationError(
        `RequiredTag (${required.join(', ')}) needs Tag: a pilot can only require tags it offers.`,
        { code: 'matcher.wrong_conditions' },
      );
    }
    const missing = containsAny(tags) ? [] : required.filter((tag) => !tags.includes(tag));
    if (missing.length > 0) {
      throw new ValidationError(
        `RequiredTag ${missing.join(', ')} is not among the pilot's tags (${tags.join(', ') || 'none'}); add it to Tag or drop it from RequiredTag.`,
        { code: 'matcher.wrong_conditions' },
      );
    }
  }
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  return {
    site: request.Site,
    ...optional('gridCEs', request.GridCE === undefined ? undefined : [request.GridCE]),
    ...optional('platforms', parseList(request.Platform)),
    ...optional('jobTypes', parseList(request.JobType)),
    ...optional('ownerGroups', parseList(request.OwnerGroup)),
    tags,
    requiredTags: containsAny(required) ? [] : required,
    cpuTime: request.CPUTime,
  };
}
