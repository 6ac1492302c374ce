import { describe, expect, it } from 'vitest';
import { validateCwl } from '#shared/cwl/index.ts';
import { fixture, issuesOf, messageAt } from './fixtures.ts';

const tool = (cwlVersion: string, extra: Record<string, unknown> = {}) => ({
  cwlVersion,
  class: 'CommandLineTool',
  baseCommand: 'cat',
  inputs: { file: { type: 'File', inputBinding: { position: 1 } } },
  outputs: {},
  ...extra,
});

describe('validateCwl on CWL v1.0 and v1.1 documents', () => {
  it.each(['v1.0', 'v1.1'])('accepts a %s tool, as cwltool upgrades it', (version) => {
    expect(() => validateCwl({ ...fixture('version-1.0.cwl'), cwlVersion: version })).not.toThrow();
    expect(() => validateCwl(tool(version))).not.toThrow();
  });

  it('accepts what v1.0 allowed and v1.2 dropped: workflow input bindings, cwltool classes', () => {
    const workflow = {
      cwlVersion: 'v1.0',
      class: 'Workflow',
      $namespaces: { cwltool: 'http://commonwl.org/cwltool#' },
      requirements: { 'cwltool:LoadListingRequirement': { loadListing: 'no_listing' } },
      inputs: { file: { type: 'File', inputBinding: { position: 1, prefix: '-f' } } },
      outputs: { out: { type: 'File', outputSource: 'cat/out', outputBinding: { glob: 'x' } } },
      steps: {
        cat: { run: tool('v1.0', { outputs: { out: 'stdout' } }), in: { file: 'file' }, out: ['out'] },
      },
    };
    expect(() => validateCwl(workflow)).not.toThrow();
  });

  it('refuses in a v1.0 document the secondaryFiles pattern objects of v1.1', () => {
    const secondary = { type: 'File', secondaryFiles: [{ pattern: '.bai', required: true }] };
    const issues = issuesOf(() => validateCwl(tool('v1.0', { inputs: { bam: secondary } })));
    expect(messageAt(issues, 'inputs.bam.secondaryFiles[0]')).toMatch(
      /CWL v1.1 and later; this document is v1.0/,
    );
    expect(() => validateCwl(tool('v1.1', { inputs: { bam: secondary } }))).not.toThrow();
  });

  it('refuses in v1.0 and v1.1 what only v1.2 allows: fractional cores, when, pickValue', () => {
    const fractional = { requirements: { ResourceRequirement: { coresMin: 0.5 } } };
    expect(
      messageAt(
        issuesOf(() => validateCwl(tool('v1.1', fractional))),
        'requirements.ResourceRequirement.coresMin',
      ),
    ).toMatch(/v1.2 and later; this document is v1.1/);
    expect(() => validateCwl(tool('v1.2', fractional))).not.toThrow();

    const workflow = {
      cwlVersion: 'v1.1',
      class: 'Workflow',
      requirements: { InlineJavascriptRequirement: {} },
      inputs: { file: 'File' },
      outputs: {},
      steps: { cat: { run: tool('v1.1'), in: { file: 'file' }, out: [], when: '$(true)' } },
    };
    const issues = issuesOf(() => validateCwl(workflow));
    expect(messageAt(issues, 'steps.cat.when')).toMatch(/when is CWL v1.2 and later/);
  });

  it('checks each process of a packed document by the version it carries', () => {
    const packed = {
      cwlVersion: 'v1.2',
      $graph: [
        {
          id: '#main',
          class: 'Workflow',
          inputs: { file: 'File' },
          outputs: {},
          steps: { cat: { run: '#old.cwl', in: { file: 'file' }, out: [] } },
        },
        { ...tool('v1.0', { requirements: { ResourceRequirement: { coresMin: 0.5 } } }), id: '#old.cwl' },
      ],
    };
    const issues = issuesOf(() => validateCwl(packed));
    expect(messageAt(issues, '$graph.main.steps.cat.run.requirements.ResourceRequirement.coresMin')).toMatch(
      /this document is v1.0/,
    );
  });
});
