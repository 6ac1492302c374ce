import { describe, expect, it } from 'vitest';
import { createComputingElement } from '#shared/ce/index.ts';
import { parseConfigText, readConfigFile } from '#shared/config/load.ts';
import { ConfigurationError } from '#shared/errors.ts';

const withComputingElement = (ce: string) =>
  parseConfigText(`
auth: { issuer: 'https://idp.example/', audience: [muon] }
virtualOrganizations:
  vo1: { defaultGroup: user, groups: { user: { properties: [NormalUser] } } }
sites:
  HPC.site.org:
    computingElements:
      ce1: ${ce}
`);

const issuesOf = (ce: string) => {
  const result = withComputingElement(ce);
  return result.ok ? [] : result.issues;
};

const configOf = (ce: string) => {
  const result = withComputingElement(ce);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const config = result.config.sites['HPC.site.org']?.computingElements.ce1;
  if (!config) throw new Error('no ce1');
  return config;
};

describe('computing element settings', () => {
  it('keeps the shipped configuration valid: a Local CE without settings', () => {
    const result = readConfigFile('config/muon.yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.sites['LOCAL.localhost.local']?.computingElements.localhost).toMatchObject({
      type: 'Local',
      maxPilots: 2,
      processors: 2,
      settings: {},
    });
  });

  it('names a setting of the wrong type, and one the type does not have', () => {
    expect(issuesOf('{ type: Slurm, settings: { partition: 3, partion: long } }')).toEqual([
      {
        path: 'sites.HPC.site.org.computingElements.ce1.settings.partition',
        message: expect.stringMatching(/string/),
      },
      { path: 'sites.HPC.site.org.computingElements.ce1.settings', message: 'Unrecognized key: "partion"' },
    ]);
  });

  it('does not take the settings of one type for another', () => {
    expect(issuesOf('{ type: Local, settings: { jobQueue: q } }')).toEqual([
      { path: 'sites.HPC.site.org.computingElements.ce1.settings', message: 'Unrecognized key: "jobQueue"' },
    ]);
  });

  it('names an unknown type and the known ones', () => {
    expect(issuesOf('{ type: Condor }')).toEqual([
      {
        path: 'sites.HPC.site.org.computingElements.ce1.type',
        message: expect.stringContaining("'Local' | 'Slurm' | 'AwsBatch'"),
      },
    ]);
  });

  it('checks sbatch options, time limits and regions', () => {
    expect(
      issuesOf('{ type: Slurm, settings: { sbatchOptions: [qos=long], timeLimitMinutes: 0 } }').map(
        (i) => i.path,
      ),
    ).toEqual([
      'sites.HPC.site.org.computingElements.ce1.settings.timeLimitMinutes',
      'sites.HPC.site.org.computingElements.ce1.settings.sbatchOptions.0',
    ]);
    expect(issuesOf('{ type: AwsBatch, settings: { region: Ireland } }')).toEqual([
      {
        path: 'sites.HPC.site.org.computingElements.ce1.settings.region',
        message: 'an AWS region, e.g. eu-west-1',
      },
    ]);
  });

  it('gives Slurm its defaults', () => {
    expect(configOf('{ type: Slurm, maxPilots: 4 }')).toEqual({
      type: 'Slurm',
      maxPilots: 4,
      processors: 1,
      tags: [],
      settings: { sbatchOptions: [], command: ['muon'] },
    });
  });

  it('lets maxWaitingPilots default to maxPilots', async () => {
    const deps = { home: '/nonexistent/home', env: {} };
    const ce = createComputingElement('S', 'c', configOf('{ type: Local, maxPilots: 3 }'), deps);
    expect(await ce.available()).toEqual({ running: 0, waiting: 0, slots: 3 });
    const limited = createComputingElement(
      'S',
      'c',
      configOf('{ type: Local, maxPilots: 3, maxWaitingPilots: 1 }'),
      deps,
    );
    expect(await limited.available()).toEqual({ running: 0, waiting: 0, slots: 1 });
  });

  it("names the AwsBatch setting and the stack's variable when the job queue is known to neither", () => {
    const create = (env: Record<string, string>) =>
      createComputingElement('AWS.cloud', 'batch1', configOf('{ type: AwsBatch }'), { home: '/h', env });
    expect(() => create({ AWS_REGION: 'eu-west-1' })).toThrow(ConfigurationError);
    expect(() => create({ AWS_REGION: 'eu-west-1' })).toThrow(
      'sites.AWS.cloud.computingElements.batch1.settings.jobQueue: not set, and neither is MUON_PILOT_JOB_QUEUE.',
    );
    expect(() => create({ MUON_PILOT_JOB_QUEUE: 'q', MUON_PILOT_JOB_DEFINITION: 'd' })).toThrow(
      /settings\.region: not set, and neither is AWS_REGION/,
    );
    expect(() =>
      create({ AWS_REGION: 'eu-west-1', MUON_PILOT_JOB_QUEUE: 'q', MUON_PILOT_JOB_DEFINITION: 'd' }),
    ).toThrow(/no AWS Batch client was given/);
  });
});
