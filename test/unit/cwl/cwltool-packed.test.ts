/**
 * Documents as `cwltool --pack` writes them (test/fixtures/cwl/cwltool-packed/, packed from the CWL
 * v1.2 conformance suite's tools by Debian's cwltool 3.1): dirac-cwl users and the Python client
 * submit them as they are, so each must pass the same check the API makes.
 */
import { describe, expect, it } from 'vitest';
import type { CommandLineTool, Workflow } from '#shared/cwl/index.ts';
import { validateCwl } from '#shared/cwl/index.ts';
import { resolveLocalImports } from '#shared/cwl/local-imports.ts';
import { fixture, issuesOf, messageAt } from './fixtures.ts';

const packed = (name: string) => fixture(`cwltool-packed/${name}`);

describe('Documents packed by cwltool', () => {
  it("reads an inline subworkflow's ids under its step's id and /run", () => {
    const task = validateCwl(packed('embedded-subworkflow.json')) as Workflow;
    const inner = task.steps.step0?.run as Workflow;
    expect(inner.steps.step1?.in.file1).toEqual({ source: 'file1' });
    expect(inner.steps.step2?.in.file1).toEqual({ source: 'step1/output' });
    expect(inner.outputs.count_output?.outputSource).toBe('step2/output');
  });

  it('resolves an in-document $import of a shared SchemaDefRequirement, and of types by name', () => {
    expect(() => validateCwl(packed('schemadef-shared.json'))).not.toThrow();
    expect(() => validateCwl(packed('schemadef-types-import.json'))).not.toThrow();
  });

  it('takes the id cwltool leaves on an imported requirement or hint', () => {
    const tool = validateCwl(packed('hints-import.json')) as CommandLineTool;
    expect(tool.hints?.EnvVarRequirement).toBeDefined();
  });

  it('takes `required: null` on a secondaryFiles pattern', () => {
    expect(() => validateCwl(packed('secondary-files.json'))).not.toThrow();
  });
});

describe('In-document $import', () => {
  it('names an in-document $import whose id the document lacks', () => {
    const dangling = {
      $graph: [
        {
          class: 'CommandLineTool',
          id: '#main',
          requirements: [{ $import: '#nosuch' }],
          inputs: [],
          outputs: [],
        },
      ],
      cwlVersion: 'v1.2',
    };
    expect(
      messageAt(
        issuesOf(() => validateCwl(dangling)),
        '$graph[0].requirements[0].$import',
      ),
    ).toBe('"#nosuch" names no object of this document that can stand here');
  });

  it('leaves a document without one as it is, and one that leads back to itself for the check to report', () => {
    const plain = { class: 'CommandLineTool', inputs: [] };
    expect(resolveLocalImports(plain)).toBe(plain);
    const looping = { $graph: [{ id: '#a', requirements: [{ $import: '#a' }] }] };
    expect(JSON.stringify(resolveLocalImports(looping))).toContain('{"$import":"#a"}');
  });
});
