/**
 * Normalising a pilot's resource description as DIRAC's `Matcher._processResourceDescription`
 * does (research notes §3.4).
 */
import { describe, expect, it } from 'vitest';
import { ForbiddenError, ValidationError } from '#shared/errors.ts';
import {
  atRegistration,
  derivedTags,
  normalise,
  parseList,
  requestSchema,
} from '#shared/matcher/resource-description.ts';

const base = { Site: 'LCG.A.org', CPUTime: 86_400 };
const registration = { pilotReference: 'pilot-1', site: 'LCG.A.org', gridCE: 'ce1' };
/** The request as the matcher places it, for a pilot registered at LCG.A.org / ce1. */
const placed = (body: Record<string, unknown>) => atRegistration(requestSchema.parse(body), registration);

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

  it.each([
    [
      'another Site',
      { Site: 'LCG.B.org' },
      /registered at Site LCG\.A\.org, GridCE ce1; it asked for Site LCG\.B\.org, GridCE ce1/,
    ],
    [
      'another GridCE',
      { GridCE: 'ce2' },
      /registered at Site LCG\.A\.org, GridCE ce1; it asked for Site LCG\.A\.org, GridCE ce2/,
    ],
    ['both', { Site: 'LCG.B.org', GridCE: 'ce2' }, /asked for Site LCG\.B\.org, GridCE ce2/],
  ])('refuses %s than the registration with a 403 naming both', (_, where, message) => {
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
