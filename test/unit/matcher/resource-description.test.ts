/**
 * Normalising a pilot's resource description as DIRAC's `Matcher._processResourceDescription`
 * does (research notes §3.4).
 */
import { describe, expect, it } from 'vitest';
import { BadRequestError, ForbiddenError, ValidationError } from '#shared/errors.ts';
import {
  atRegistration,
  derivedTags,
  normalise,
  parseList,
  requestSchema,
} from '#shared/matcher/resource-description.ts';

const base = { Site: 'LCG.A.org', CPUTime: 86_400 };
const registration = { pilotReference: 'pilot-1', site: 'LCG.A.org', gridCE: 'ce1' };
const declared = {
  'LCG.A.org': { computingElements: { ce1: {}, ce2: {} } },
  'LCG.B.org': { computingElements: { ceB: {} } },
};
/** The request as the matcher places it, for a pilot registered at LCG.A.org / ce1. */
const placed = (body: Record<string, unknown>) =>
  atRegistration(requestSchema.parse(body), registration, declared);
/** What `placed` throws. */
const refusal = (body: Record<string, unknown>) => {
  try {
    normalise(placed(body));
  } catch (error) {
    return error;
  }
  throw new Error(`${JSON.stringify(body)} was accepted`);
};

describe('resource description', () => {
  it("reads Tag as a list or as DIRAC's string form", () => {
    expect(parseList(['a', 'b'])).toEqual(['a', 'b']);
    expect(parseList('[a, \'b\', "c"]')).toEqual(['a', 'b', 'c']);
    expect(parseList('GPU')).toEqual(['GPU']);
    expect(parseList('[]')).toEqual([]);
  });

  it('turns processors into 2Processors..NProcessors and MultiProcessor', () => {
    expect(derivedTags({ NumberOfProcessors: 4 })).toEqual([
      '2Processors',
      '3Processors',
      '4Processors',
      'MultiProcessor',
    ]);
    expect(derivedTags({ NumberOfProcessors: 1 })).toEqual([]);
  });

  it('turns MaxRAM (MB, divided by 1000 as DIRAC does) into 2GB..NGB', () => {
    expect(derivedTags({ MaxRAM: 4096 })).toEqual(['2GB', '3GB', '4GB']);
    expect(derivedTags({ MaxRAM: 1999 })).toEqual([]);
  });

  it('adds WholeNode and GPU when the pilot has them', () => {
    expect(derivedTags({ WholeNode: true, GPU: 1 })).toEqual(['WholeNode', 'GPU']);
    expect(derivedTags({ WholeNode: 'False', GPU: 0 })).toEqual([]);
  });

  it('merges own and derived tags without duplicates', () => {
    const resource = normalise(
      placed({ ...base, Tag: "['GPU', 'MultiProcessor']", NumberOfProcessors: 2, GPU: true }),
    );
    expect(resource.tags).toEqual(['GPU', 'MultiProcessor', '2Processors']);
  });

  it('treats a pilot without Tag as offering no tags', () => {
    expect(normalise(placed(base)).tags).toEqual([]);
  });

  it('reads Platform, JobType and OwnerGroup as lists', () => {
    const resource = normalise(
      placed({
        ...base,
        Platform: 'x86_64-linux',
        JobType: ['User'],
        OwnerGroup: 'user',
        GridCE: 'ce1',
      }),
    );
    expect(resource).toMatchObject({
      platforms: ['x86_64-linux'],
      jobTypes: ['User'],
      ownerGroups: ['user'],
      gridCEs: ['ce1'],
    });
  });

  it("refuses a RequiredTag the pilot does not offer (DIRAC's Wrong conditions)", () => {
    expect(() => normalise(placed({ ...base, Tag: ['GPU'], RequiredTag: ['Big'] }))).toThrow(ValidationError);
    expect(() => normalise(placed({ ...base, RequiredTag: 'GPU' }))).toThrow(/needs Tag/);
    expect(normalise(placed({ ...base, Tag: 'GPU', RequiredTag: 'GPU' })).requiredTags).toEqual(['GPU']);
  });

  it('accepts a required tag that a derived tag provides', () => {
    const resource = normalise(placed({ ...base, NumberOfProcessors: 8, RequiredTag: 'MultiProcessor' }));
    expect(resource.requiredTags).toEqual(['MultiProcessor']);
  });

  it('reads Tag "" and [] as no tags, and ANY as every tag', () => {
    expect(normalise(placed({ ...base, Tag: '' })).tags).toEqual([]);
    expect(normalise(placed({ ...base, Tag: [] })).tags).toEqual([]);
    expect(normalise(placed({ ...base, Tag: '[]', RequiredTag: '' })).requiredTags).toEqual([]);
    expect(normalise(placed({ ...base, Tag: 'ANY', RequiredTag: 'GPU' })).tags).toEqual(['ANY']);
    expect(normalise(placed({ ...base, Tag: ['GPU'], RequiredTag: 'any' })).requiredTags).toEqual([]);
  });

  it('reads Platform as one value, a list or the string form, ANY included', () => {
    expect(normalise(placed({ ...base, Platform: ['el8', 'el9'] })).platforms).toEqual(['el8', 'el9']);
    expect(normalise(placed({ ...base, Platform: "['el8', 'ANY']" })).platforms).toEqual(['el8', 'ANY']);
  });

  it.each([
    ['Site', { Site: [] }],
    ['GridCE', { GridCE: '' }],
    ['Platform', { Platform: '[]' }],
    ['JobType', { JobType: [''] }],
    ['OwnerGroup', { OwnerGroup: [] }],
  ])('refuses an empty %s list with a 422 saying what to send instead', (field, body) => {
    expect(refusal({ CPUTime: 10, ...body })).toMatchObject({
      statusCode: 422,
      code: 'matcher.empty_list',
      message: `${field} is an empty list: name at least one value, or "ANY", or leave ${field} out.`,
    });
  });

  it('refuses a negative CPU time and unknown fields', () => {
    expect(requestSchema.safeParse({ ...base, CPUTime: -1 }).success).toBe(false);
    expect(requestSchema.safeParse({ ...base, Colour: 'blue' }).success).toBe(false);
  });
});

describe('a request at its registration', () => {
  it('takes the Site and GridCE the pilot registered with when the request leaves them out', () => {
    const request = placed({ CPUTime: 10 });
    expect(request).toMatchObject({ Site: 'LCG.A.org', GridCE: 'ce1' });
    expect(normalise(request)).toMatchObject({ site: 'LCG.A.org', gridCEs: ['ce1'] });
  });

  it('accepts a request that repeats them', () => {
    expect(placed({ Site: 'LCG.A.org', GridCE: 'ce1', CPUTime: 10 })).toMatchObject({
      Site: 'LCG.A.org',
      GridCE: 'ce1',
    });
  });

  it('takes a list within the registration, and ANY, as the registered site and CE', () => {
    for (const body of [
      { Site: ['LCG.A.org'], GridCE: ['ce1'] },
      { Site: "['LCG.A.org', 'ANY']", GridCE: 'ANY' },
      { Site: 'any', GridCE: ['ce1', 'ce1'] },
    ]) {
      expect(normalise(placed({ CPUTime: 10, ...body }))).toMatchObject({
        site: 'LCG.A.org',
        sites: ['LCG.A.org'],
        gridCEs: ['ce1'],
      });
    }
  });

  it('refuses a site or CE nobody declared with a 400 naming the registered one', () => {
    expect(refusal({ CPUTime: 10, Site: ['LCG.A.org', 'LCG.Nowhere.org'] })).toMatchObject({
      statusCode: 400,
      code: 'matcher.unknown_site',
      message:
        'Site "LCG.Nowhere.org" is not a declared site; pilot pilot-1 registered at LCG.A.org: leave Site out or name LCG.A.org.',
    });
    const ce = refusal({ CPUTime: 10, GridCE: 'ce9' });
    expect(ce).toBeInstanceOf(BadRequestError);
    expect(ce).toMatchObject({ code: 'matcher.unknown_ce', message: expect.stringMatching(/name ce1\.$/) });
  });

  it.each([
    [
      'a list reaching beyond the registration',
      { Site: ['LCG.A.org', 'LCG.B.org'] },
      /it asked for Site LCG\.A\.org, LCG\.B\.org, GridCE ce1\. A pilot matches only where it registered: leave Site and GridCE out, or name those\./,
    ],
    ['a CE list with another', { GridCE: ['ce1', 'ce2'] }, /asked for Site LCG\.A\.org, GridCE ce1, ce2/],
    [
      'another Site than the registration',
      { Site: 'LCG.B.org' },
      /registered at Site LCG\.A\.org, GridCE ce1; it asked for Site LCG\.B\.org, GridCE ce1/,
    ],
    [
      'another GridCE than the registration',
      { GridCE: 'ce2' },
      /registered at Site LCG\.A\.org, GridCE ce1; it asked for Site LCG\.A\.org, GridCE ce2/,
    ],
    ['both another', { Site: 'LCG.B.org', GridCE: 'ce2' }, /asked for Site LCG\.B\.org, GridCE ce2/],
  ])('refuses %s with a 403 naming both', (_, where, message) => {
    let thrown: unknown;
    try {
      placed({ CPUTime: 10, ...where });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ForbiddenError);
    expect(thrown).toMatchObject({
      statusCode: 403,
      code: 'matcher.site_mismatch',
      message: expect.stringMatching(message),
    });
  });
});
