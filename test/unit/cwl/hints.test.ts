import { describe, expect, it } from 'vitest';
import { withMuonNames } from '#shared/cwl/hints.ts';
import {
  DIRAC_NAMESPACE,
  extractHints,
  type JobHints,
  jobHintsFor,
  jobHintsSchema,
  mergeHints,
  parseJobHints,
  validateCwl,
} from '#shared/cwl/index.ts';
import { cwlSubmission } from '#shared/jobs/submission/cwl-request.ts';
import { fixture, issuesOf, messageAt } from './fixtures.ts';

const withHint = (cls: string, fields: Record<string, unknown>, namespaces?: Record<string, string>) =>
  validateCwl({
    ...fixture('hello-world.cwl'),
    ...(namespaces ? { $namespaces: namespaces } : {}),
    hints: [{ class: cls, ...fields }],
  });

describe('scheduling hints', () => {
  describe('in the document', () => {
    it('are read from a dirac:Job hint, with LFN: prefixes removed', () => {
      const hints = extractHints(validateCwl(fixture('dirac-hints-tool.cwl')));
      expect(hints).toMatchObject({
        priority: 3,
        cpuTime: 86_400,
        sites: ['LCG.CERN.cern', 'LCG.IN2P3.fr'],
        bannedSites: ['LCG.RAL.uk'],
        jobType: 'MCSimulation',
        inputData: ['/vo/data/run1/events.root', '/vo/data/run2/events.root'],
        outputData: [
          { source: 'result', outputPath: '/vo/user/a/alice/simulation' },
          { pattern: 'histo*.root', outputPath: '/vo/user/a/alice/histograms', outputSE: ['CERN-DISK'] },
        ],
      });
    });

    it.each([
      ['the prefix muon documents', 'dirac:Job', { dirac: DIRAC_NAMESPACE }],
      ['the expanded IRI', `${DIRAC_NAMESPACE}Job`, undefined],
      ['a prefix of the user’s choosing', 'd:Job', { d: DIRAC_NAMESPACE }],
      ['dirac-cwl’s schema location', 'dirac:Job', { dirac: '../schemas/dirac-metadata.json#/$defs/' }],
      ['an undeclared dirac prefix', 'dirac:Job', undefined],
    ])('recognise the class written with %s', (_, cls, namespaces) => {
      expect(extractHints(withHint(cls, { priority: 7 }, namespaces))).toEqual({ priority: 7 });
    });

    it('are absent when the document has none, and other hints are left alone', () => {
      const task = withHint('sbg:SaveLogs', { value: '*.log' }, { sbg: 'https://sevenbridges.com#' });
      expect(extractHints(task)).toBeUndefined();
    });

    it('stay in the task: extracting them removes nothing', () => {
      const task = validateCwl(fixture('dirac-hints-tool.cwl'));
      const before = JSON.stringify(task);
      extractHints(task);
      expect(JSON.stringify(task)).toBe(before);
      expect(Object.keys(task.hints ?? {})).toEqual(['dirac:Job']);
    });

    it('must name inputs and outputs of the task that hold files', () => {
      const issues = issuesOf(() =>
        withHint('dirac:Job', {
          inputSandbox: [{ source: 'message' }],
          outputData: [{ source: 'nope', outputPath: '/vo/x' }],
        }),
      );
      expect(messageAt(issues, 'hints.dirac:Job.inputSandbox[0].source')).toMatch(
        /"message" is not a File or Directory input/,
      );
      expect(messageAt(issues, 'hints.dirac:Job.outputData[0].source')).toMatch(
        /"nope" is not one of the task's outputs \(greeting\)/,
      );
    });

    it('belong under hints, not requirements', () => {
      const issues = issuesOf(() =>
        validateCwl({ ...fixture('hello-world.cwl'), requirements: [{ class: 'dirac:Job', priority: 1 }] }),
      );
      expect(messageAt(issues, 'requirements.dirac:Job')).toMatch(/belongs under hints/);
    });
  });

  describe('schema', () => {
    const invalid = (value: unknown) => issuesOf(() => parseJobHints(value));

    it('accepts an empty object: every field is optional', () => {
      expect(parseJobHints({})).toEqual({});
    });

    it('rejects priority 11', () => {
      expect(invalid({ priority: 11 })).toEqual([{ path: 'priority', message: 'must be from 0 to 10' }]);
    });

    it('rejects a negative cpuTime', () => {
      expect(invalid({ cpuTime: -1 })).toEqual([
        { path: 'cpuTime', message: 'must be a positive number of seconds' },
      ]);
    });

    it('names an unknown field, with the muon name of JDL spellings', () => {
      expect(invalid({ BannedSites: [], CPUTime: 10, JobType: 'User', colour: 'red' })).toEqual([
        { path: 'BannedSites', message: 'unknown field (muon calls it "bannedSites")' },
        { path: 'CPUTime', message: 'unknown field (muon calls it "cpuTime")' },
        { path: 'JobType', message: 'unknown field (muon calls it "jobType")' },
        { path: 'colour', message: 'unknown field' },
      ]);
    });

    it("names JDL's JobGroup, Site and site, and an entry's lfn, by their muon names", () => {
      expect(
        invalid({ JobGroup: 'g', Site: 'LCG.CERN.cern', site: 'x', outputData: [{ lfn: '/vo/x' }] }),
      ).toEqual(
        expect.arrayContaining([
          { path: 'JobGroup', message: 'unknown field (muon calls it "jobGroup")' },
          { path: 'Site', message: 'unknown field (muon calls it "sites")' },
          { path: 'site', message: 'unknown field (muon calls it "sites")' },
          { path: 'outputData[0].lfn', message: 'unknown field (muon calls it "outputPath")' },
        ]),
      );
    });

    it('reads DiracX’s snake_case spellings as muon’s fields, also inside list entries', () => {
      expect(
        parseJobHints({
          schema_version: '1.0',
          cpu_work: 3600,
          banned_sites: ['LCG.RAL.uk'],
          type: 'MCSimulation',
          group: 'run1',
          log_level: 'DEBUG',
          output_data: [{ pattern: '*.root', output_path: 'LFN:/vo/x', output_se: ['CERN-DISK'] }],
          output_se: ['RAL-DISK'],
        }),
      ).toEqual({
        schemaVersion: '1.0',
        cpuTime: 3600,
        bannedSites: ['LCG.RAL.uk'],
        jobType: 'MCSimulation',
        jobGroup: 'run1',
        outputData: [{ pattern: '*.root', outputPath: '/vo/x', outputSE: ['CERN-DISK'] }],
        outputSE: ['RAL-DISK'],
      });
    });

    it('renames raw hint objects for readers that do not validate them', () => {
      expect(withMuonNames({ input_sandbox: ['a.txt'], priority: 2 })).toEqual({
        inputSandbox: ['a.txt'],
        priority: 2,
      });
    });

    it('refuses a field given in both spellings', () => {
      expect(invalid({ outputData: [{ source: 'x', output_path: '/vo/x', outputPath: '/vo/y' }] })).toEqual([
        { path: 'outputData[0].outputPath', message: 'given twice (also as "output_path")' },
      ]);
    });

    it('checks LFNs, sandbox references and output data entries', () => {
      const issues = invalid({
        inputData: ['relative/file.root'],
        inputSandbox: ['SB:no-separator'],
        outputData: [{ source: 'a', pattern: '*.root', outputPath: '/vo/x' }],
      });
      expect(issues.map((issue) => issue.path).sort()).toEqual([
        'inputData[0]',
        'inputSandbox[0]',
        'outputData[0]',
      ]);
      expect(messageAt(issues, 'inputData[0]')).toMatch(/expected a logical file name/);
      expect(messageAt(issues, 'inputSandbox[0]')).toBe('a sandbox reference reads SB:<SE>|<path>');
      expect(messageAt(issues, 'outputData[0]')).toMatch(/either "source".*or "pattern"/);
    });

    it('is the type: a parsed value is a JobHints', () => {
      const hints: JobHints = jobHintsSchema.parse({ inputData: ['LFN:/vo/a'], outputSE: ['SE-USER'] });
      expect(hints).toEqual({ inputData: ['/vo/a'], outputSE: ['SE-USER'] });
    });
  });

  describe('merging', () => {
    it('lets the hints beside the document override field by field', () => {
      const inDocument: JobHints = { priority: 3, sites: ['A', 'B'], jobGroup: 'g1' };
      expect(mergeHints(inDocument, { priority: 8, sites: ['C'] })).toEqual({
        priority: 8,
        sites: ['C'],
        jobGroup: 'g1',
      });
    });

    it('keeps in-document fields that the other side leaves undefined', () => {
      expect(mergeHints({ priority: 3 }, { priority: undefined, jobName: 'x' })).toEqual({
        priority: 3,
        jobName: 'x',
      });
      expect(mergeHints(undefined, { tags: ['GPU'] })).toEqual({ tags: ['GPU'] });
      expect(mergeHints({ tags: ['GPU'] }, undefined)).toEqual({ tags: ['GPU'] });
    });

    it('gives the effective hints of a submission and checks the sources of both sides', () => {
      const task = validateCwl(fixture('dirac-hints-tool.cwl'));
      expect(jobHintsFor(task, { priority: 9, bannedSites: [] })).toMatchObject({
        priority: 9,
        bannedSites: [],
        cpuTime: 86_400,
      });
      expect(
        messageAt(
          issuesOf(() => jobHintsFor(task, { inputData: [{ source: 'threads' }] })),
          'inputData[0].source',
        ),
      ).toMatch(/not a File or Directory input/);
      expect(
        messageAt(
          issuesOf(() => jobHintsFor(task, { priority: 11 })),
          'priority',
        ),
      ).toBe('must be from 0 to 10');
    });
  });
});

describe('dirac-cwl’s hints as written today', () => {
  const outputTool = {
    cwlVersion: 'v1.2',
    class: 'CommandLineTool',
    baseCommand: 'touch',
    arguments: ['a.root', 'b.log'],
    inputs: [],
    outputs: [
      { id: 'output1', type: 'File', outputBinding: { glob: 'a.root' } },
      { id: 'log', type: 'File', outputBinding: { glob: 'b.log' } },
    ],
  };
  const dirac = { dirac: '../../schemas/dirac-metadata.json#/$defs/' };
  const task = (hints: Record<string, unknown>[]) =>
    validateCwl({ ...outputTool, $namespaces: dirac, hints });

  it('read dirac:Scheduling as platform, priority and sites, also sites as one comma-separated string', () => {
    expect(
      extractHints(
        task([{ class: 'dirac:Scheduling', platform: 'x86_64-linux', priority: 4, sites: 'A.b.c, D.e.f' }]),
      ),
    ).toEqual({ platform: 'x86_64-linux', priority: 4, sites: ['A.b.c', 'D.e.f'] });
  });

  it('read dirac:ExecutionHooks as output data, output sandbox and output storage elements', () => {
    const hints = extractHints(
      task([
        {
          class: 'dirac:ExecutionHooks',
          hook_plugin: 'QueryBasedPlugin',
          configuration: { campaign: 'PROD5' },
          output_paths: { output1: 'lfn:/vo/test/output' },
          output_sandbox: ['log'],
          output_se: ['SE-USER', 'CERN-DISK'],
          campaign_note: 'VO-specific fields are allowed, as in dirac-cwl',
        },
      ]),
    );
    expect(hints).toEqual({
      outputData: [{ source: 'output1', outputPath: '/vo/test/output' }],
      outputSandbox: [{ source: 'log' }],
      outputSE: ['SE-USER', 'CERN-DISK'],
    });
  });

  it('combine with dirac:Job, which wins field by field', () => {
    const hints = extractHints(
      task([
        { class: 'dirac:Scheduling', priority: 2, sites: ['A.b.c'] },
        { class: 'dirac:ExecutionHooks', output_sandbox: ['log'] },
        { class: 'dirac:Job', priority: 7 },
      ]),
    );
    expect(hints).toEqual({ priority: 7, sites: ['A.b.c'], outputSandbox: [{ source: 'log' }] });
  });

  it('are checked: unknown Scheduling fields, priorities out of range, outputs the task lacks', () => {
    const issues = issuesOf(() =>
      extractHints(
        task([
          { class: 'dirac:Scheduling', priority: 100, site: 'A.b.c' },
          { class: 'dirac:ExecutionHooks', output_paths: { nope: 'lfn:/vo/x' } },
        ]),
      ),
    );
    expect(messageAt(issues, 'hints.dirac:Scheduling.priority')).toMatch(/from 0 to 10/);
    expect(
      issues.some(
        (issue) => issue.path.startsWith('hints.dirac:Scheduling') && /site/.test(issue.path + issue.message),
      ),
    ).toBe(true);
    expect(messageAt(issues, 'hints.dirac:ExecutionHooks.outputData[0].source')).toMatch(/"nope" is not one/);
  });

  it('carry output metadata from dirac:ExecutionHooks (snake or camel case) and dirac:Job', () => {
    const hooks = (field: string) =>
      extractHints(task([{ class: 'dirac:ExecutionHooks', [field]: { run: 12, type: 'DST' } }]));
    expect(hooks('output_metadata')).toEqual({ outputMetadata: { run: 12, type: 'DST' } });
    expect(hooks('outputMetadata')).toEqual({ outputMetadata: { run: 12, type: 'DST' } });
    expect(extractHints(task([{ class: 'dirac:Job', output_metadata: { energy: 6.5 } }]))).toEqual({
      outputMetadata: { energy: 6.5 },
    });
    const issues = issuesOf(() =>
      extractHints(task([{ class: 'dirac:Job', outputMetadata: { '1bad': 1, ok: true } }])),
    );
    expect(issues.map((issue) => issue.path).join(' ')).toMatch(/outputMetadata/);
  });

  it('leave transformation fields to transformations', () => {
    const issues = issuesOf(() => extractHints(task([{ class: 'dirac:ExecutionHooks', group_size: 5 }])));
    expect(messageAt(issues, 'hints.dirac:ExecutionHooks.group_size')).toMatch(/belongs to a transformation/);
  });

  it('become the job description: Site, Platform, Priority, OutputSandbox, OutputSE, OutputData', () => {
    const workflow = {
      ...outputTool,
      $namespaces: dirac,
      hints: [
        { class: 'dirac:Scheduling', platform: 'x86_64-linux', priority: 3, sites: ['A.b.c'] },
        {
          class: 'dirac:ExecutionHooks',
          output_paths: { output1: 'lfn:/vo/out' },
          output_sandbox: ['log'],
          output_se: ['CERN-DISK'],
        },
      ],
    };
    const [draft] = cwlSubmission({ workflow }, undefined).drafts;
    expect(draft?.description).toMatchObject({
      platform: 'x86_64-linux',
      priority: 3,
      sites: ['A.b.c'],
      outputSandbox: ['log'],
      outputSE: ['CERN-DISK'],
      outputData: [JSON.stringify({ source: 'output1', outputPath: '/vo/out' })],
    });
  });
});
