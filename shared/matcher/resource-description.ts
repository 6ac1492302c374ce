/**
 * What a pilot offers: DIRAC's ceDict as the pilot sends it (`requestSchema`), and the match
 * description the matcher derives from it (`ResourceDescription`), as DIRAC's
 * `Matcher._processResourceDescription` does: processors, memory, whole node and GPU become tags.
 * `Site`, `GridCE`, `Platform`, `JobType`, `OwnerGroup`, `Tag` and `RequiredTag` may each be one
 * value, a list or DIRAC's string form `"[a, 'b']"`; `Tag: ""` offers no tags, and `"ANY"` is
 * DIRAC's "no constraint". `Site` and `GridCE` are where the pilot registered (`atRegistration`):
 * a pilot may leave them out, say `ANY`, or name sites within its registration, never another.
 */
import { z } from 'zod';
import { isAny } from '#shared/config/platforms.ts';
import { BadRequestError, ForbiddenError, ValidationError } from '#shared/errors.ts';

const name = z.string().min(1).max(256);
/** One value, a list or DIRAC's string form of one; `listField` refuses an empty one where it must. */
const values = z.union([z.string().max(256), z.array(z.string().max(256)).max(256)]);
const flag = z.union([z.boolean(), z.enum(['True', 'False', 'true', 'false', 'yes', 'no'])]);

export const requestSchema = z
  .strictObject({
    /** Optional: the sites the pilot registered at are used, and no other is accepted. */
    Site: values.optional(),
    GridCE: values.optional(),
    Platform: values.optional(),
    JobType: values.optional(),
    /** `""` or `[]`: no tags; absent: no tags either (DIRAC). */
    Tag: values.optional(),
    RequiredTag: values.optional(),
    CPUTime: z.number().nonnegative({ error: 'CPUTime is seconds of normalised CPU time, at least 0' }),
    NumberOfProcessors: z.number().int().positive().optional(),
    /** Megabytes. */
    MaxRAM: z.number().positive().optional(),
    WholeNode: flag.optional(),
    GPU: z.union([z.number().int().nonnegative(), flag]).optional(),
    OwnerGroup: values.optional(),
    PilotReference: name.optional(),
    /** A pilot may ask for one job (DIRAC's JobID in the ceDict). */
    JobID: z.number().int().positive().optional(),
    /**
     * The pilot's id for this request (docs/matcher.md, Repeated requests): a request repeated
     * with the same id gets the job the first one claimed, if it is still Matched to the pilot.
     */
    RequestID: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{8,128}$/, {
        error: 'RequestID is 8 to 128 letters, digits, ".", "_", ":" or "-" (a UUID fits)',
      })
      .optional(),
    /** This request repeats one that may have reached the matcher (a timeout): look it up first. */
    Repeat: z.boolean().optional(),
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
/**
 * A request placed where its pilot registered, as `atRegistration` gives it: `Site` and `GridCE`
 * are the registered ones (where a matched job runs), `Sites` and `GridCEs` those the request
 * names within them.
 */
export type PlacedRequest = Omit<MatchRequest, 'Site' | 'GridCE'> & {
  readonly Site: string;
  readonly GridCE: string;
  readonly Sites: readonly string[];
  readonly GridCEs: readonly string[];
};

/** Where a pilot registered (its pilot record's `site` and `gridCE`). */
export interface Registration {
  readonly pilotReference: string;
  readonly site: string;
  readonly gridCE: string;
}

/** The declared sites and their computing elements (the configuration's `sites`). */
export type DeclaredSites = Readonly<
  Record<string, { readonly computingElements: Readonly<Record<string, unknown>> }>
>;

/**
 * A multi-valued field as a list, undefined when absent. An empty list (`[]`, `""`, `"[]"`) is
 * refused: it would say neither "these" nor "any".
 */
export function listField(
  field: string,
  value: string | readonly string[] | undefined,
): string[] | undefined {
  const list = parseList(value);
  if (list !== undefined && list.length === 0)
    throw new ValidationError(
      `${field} is an empty list: name at least one value, or "ANY", or leave ${field} out.`,
      { code: 'matcher.empty_list' },
    );
  return list;
}

/**
 * The request at the sites and computing element the pilot registered with. A pilot token is
 * shared by the VO's pilots, so a claimed Site is only believed within the registration: otherwise
 * a pilot could take jobs meant for (or banned from) another site. A site or computing element the
 * configuration does not declare is a 400; a declared one outside the registration a 403; `ANY`
 * (DIRAC's "no constraint") stands for the registered ones.
 */
export function atRegistration(
  request: MatchRequest,
  registered: Registration,
  declared: DeclaredSites,
): PlacedRequest {
  const asked = { sites: listField('Site', request.Site), gridCEs: listField('GridCE', request.GridCE) };
  const named = (values: string[] | undefined) => (values ?? []).filter((v) => !isAny(v));
  const unknownSite = named(asked.sites).find((site) => !(site in declared));
  if (unknownSite !== undefined)
    throw new BadRequestError(
      `Site "${unknownSite}" is not a declared site; pilot ${registered.pilotReference} registered at ${registered.site}: leave Site out or name ${registered.site}.`,
      { code: 'matcher.unknown_site' },
    );
  const elements = declared[registered.site]?.computingElements ?? {};
  const unknownCE = named(asked.gridCEs).find(
    (ce) => !Object.values(declared).some((site) => ce in site.computingElements),
  );
  if (unknownCE !== undefined)
    throw new BadRequestError(
      `GridCE "${unknownCE}" is not a declared computing element (those of ${registered.site}: ${Object.keys(elements).join(', ') || 'none'}); pilot ${registered.pilotReference} registered at ${registered.gridCE}: leave GridCE out or name ${registered.gridCE}.`,
      { code: 'matcher.unknown_ce' },
    );
  const outside = (values: string[] | undefined, held: string) => named(values).some((v) => v !== held);
  if (outside(asked.sites, registered.site) || outside(asked.gridCEs, registered.gridCE)) {
    const shown = (values: string[] | undefined, held: string) => (values ?? [held]).join(', ');
    throw new ForbiddenError(
      `Pilot ${registered.pilotReference} registered at Site ${registered.site}, GridCE ${registered.gridCE}; it asked for Site ${shown(asked.sites, registered.site)}, GridCE ${shown(asked.gridCEs, registered.gridCE)}. A pilot matches only where it registered: leave Site and GridCE out, or name those.`,
      'matcher.site_mismatch',
    );
  }
  // Within the registration, every list (ANY included) comes to the registered site and CE.
  return {
    ...request,
    Site: registered.site,
    GridCE: registered.gridCE,
    Sites: [registered.site],
    GridCEs: [registered.gridCE],
  };
}

/** The normalised description the predicate reads. Absent multi-valued fields constrain nothing. */
export interface ResourceDescription {
  /** Where a matched job runs: the site the pilot registered at. */
  readonly site: string;
  /** The sites the pilot serves; absent: `site` alone (descriptions recorded before lists). */
  readonly sites?: readonly string[];
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
  if (typeof value !== 'string') return value.map((item) => item.trim()).filter((item) => item.length > 0);
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
export function normalise(request: PlacedRequest): ResourceDescription {
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
    sites: request.Sites,
    gridCEs: request.GridCEs,
    ...optional('platforms', listField('Platform', request.Platform)),
    ...optional('jobTypes', listField('JobType', request.JobType)),
    ...optional('ownerGroups', listField('OwnerGroup', request.OwnerGroup)),
    tags,
    requiredTags: containsAny(required) ? [] : required,
    cpuTime: request.CPUTime,
  };
}
