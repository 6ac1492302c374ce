import { describe, expect, it } from 'vitest';
import { jobOutputRoots } from '#shared/data/access.ts';
import { isWithin, lfnProblem, parentDirectory, userDirectory } from '#shared/data/lfn.ts';
import { pfnFor } from '#shared/data/storage.ts';
import { jobDescriptionSchema } from '#shared/jobs/model.ts';

const vo = 'vo.example.org';
const description = (fields: Record<string, unknown>) =>
  jobDescriptionSchema.parse({
    kind: 'jdl',
    jobName: 'j',
    jobType: 'User',
    priority: 1,
    cpuTime: 100,
    ...fields,
  });

describe('LFNs', () => {
  it('are absolute paths without empty, "." or ".." segments', () => {
    expect(lfnProblem(`/${vo}/user/a/alice/out.txt`)).toBeUndefined();
    expect(lfnProblem('relative/x')).toMatch(/starts with "\/"/);
    for (const bad of [`/${vo}//x`, `/${vo}/./x`, `/${vo}/../x`, `/${vo}/x/`]) {
      expect(lfnProblem(bad), bad).toMatch(/segments/);
    }
  });

  it('have a parent directory and a user directory as DIRAC names them', () => {
    expect(parentDirectory(`/${vo}/user/a/alice/1/out.txt`)).toBe(`/${vo}/user/a/alice/1`);
    expect(parentDirectory('/top')).toBe('/');
    expect(userDirectory(vo, 'Alice')).toBe(`/${vo}/user/a/Alice`);
  });

  it('are within a directory segment by segment', () => {
    expect(isWithin('/vo/a/b/c', '/vo/a/b')).toBe(true);
    expect(isWithin('/vo/a/b/c', '/vo/a/b/')).toBe(true);
    expect(isWithin('/vo/a/bc', '/vo/a/b')).toBe(false);
    expect(isWithin('/vo/a/b', '/vo/a/b')).toBe(true);
  });

  it('map onto an S3 key under the SE prefix, or a path under the SE root', () => {
    const lfn = `/${vo}/user/a/alice/1/out.txt`;
    expect(pfnFor({ name: 'S', kind: 'disk', backend: 's3', path: 'output-data/' }, lfn)).toBe(
      `output-data${lfn}`,
    );
    expect(pfnFor({ name: 'S', kind: 'disk', backend: 's3', path: 'no-slash' }, lfn)).toBe(`no-slash${lfn}`);
    expect(pfnFor({ name: 'F', kind: 'disk', backend: 'file', path: '/data/se/' }, lfn)).toBe(
      `/data/se${lfn}`,
    );
  });
});

describe('Where a job may write its outputs', () => {
  it("is its owner's user directory, its OutputPath and the LFNs its OutputData names", () => {
    const roots = jobOutputRoots({
      jobId: 1,
      vo,
      owner: 'alice',
      description: description({
        outputPath: `/${vo}/prod/run1/`,
        outputData: [
          `LFN:/${vo}/prod/exact.root`,
          'local-name.root',
          JSON.stringify({ pattern: '*.root', outputPath: `lfn:/${vo}/cwl/out` }),
        ],
      }),
    });
    expect(roots).toEqual([
      `/${vo}/user/a/alice`,
      `/${vo}/prod/run1`,
      `/${vo}/prod/exact.root`,
      `/${vo}/cwl/out`,
    ]);
  });

  it('ignores paths outside the VO and relative ones', () => {
    const roots = jobOutputRoots({
      jobId: 1,
      vo,
      owner: 'alice',
      description: description({ outputPath: 'relative/dir', outputData: ['LFN:/other.vo/x', 'LFN:/../x'] }),
    });
    expect(roots).toEqual([`/${vo}/user/a/alice`]);
  });
});
