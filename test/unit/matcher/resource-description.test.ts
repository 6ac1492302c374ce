/**
 * Normalising a pilot's resource description as DIRAC's `Matcher._processResourceDescription`
 * does (research notes §3.4).
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/errors.ts';
import { derivedTags, normalise, parseList, requestSchema } from '#shared/matcher/resource-description.ts';

const base = { Site: 'LCG.A.org', CPUTime: 86_400 };

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
      requestSchema.parse({ ...base, Tag: "['GPU', 'MultiProcessor']", NumberOfProcessors: 2, GPU: true }),
    );
    expect(resource.tags).toEqual(['GPU', 'MultiProcessor', '2Processors']);
  });

  it('treats a pilot without Tag as offering no tags', () => {
    expect(normalise(requestSchema.parse(base)).tags).toEqual([]);
  });

  it('reads Platform, JobType and OwnerGroup as lists', () => {
    const resource = normalise(
      requestSchema.parse({
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
    expect(() => normalise(requestSchema.parse({ ...base, Tag: ['GPU'], RequiredTag: ['Big'] }))).toThrow(
      ValidationError,
    );
    expect(() => normalise(requestSchema.parse({ ...base, RequiredTag: 'GPU' }))).toThrow(/needs Tag/);
    expect(normalise(requestSchema.parse({ ...base, Tag: 'GPU', RequiredTag: 'GPU' })).requiredTags).toEqual([
      'GPU',
    ]);
  });

  it('accepts a required tag that a derived tag provides', () => {
    const resource = normalise(
      requestSchema.parse({ ...base, NumberOfProcessors: 8, RequiredTag: 'MultiProcessor' }),
    );
    expect(resource.requiredTags).toEqual(['MultiProcessor']);
  });

  it('refuses a negative CPU time, a missing Site and unknown fields', () => {
    expect(requestSchema.safeParse({ ...base, CPUTime: -1 }).success).toBe(false);
    expect(requestSchema.safeParse({ CPUTime: 10 }).success).toBe(false);
    expect(requestSchema.safeParse({ ...base, Colour: 'blue' }).success).toBe(false);
  });
});
