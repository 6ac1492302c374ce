import { loadDocument } from 'cwl-ts-auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CwlValidationError, validateCwl } from '#shared/cwl/index.ts';
import { ValidationError } from '#shared/errors.ts';
import { fixture, issuesOf, messageAt } from './fixtures.ts';

const VALID = [
  'hello-world.cwl',
  'two-step-workflow.cwl',
  'expression-tool.cwl',
  'gpu-tool.cwl',
  'dirac-hints-tool.cwl',
  'packed-workflow.cwl',
];

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('validateCwl', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  describe('with a valid document', () => {
    it.each(VALID)('accepts %s', (name) => {
      const task = validateCwl(fixture(name));
      expect(['CommandLineTool', 'Workflow', 'ExpressionTool']).toContain(task.class);
    });

    it('returns list forms as maps keyed by id and by class', () => {
      const task = validateCwl(fixture('gpu-tool.cwl'));
      expect(task.inputs.query?.type).toBe('string[]?');
      expect(task.outputs.report?.type).toBe('stdout');
      expect(task.requirements?.ResourceRequirement?.coresMin).toBe(4);
      expect(Object.keys(task.requirements ?? {})).toContain('cwltool:CUDARequirement');
      expect(task.hints?.DockerRequirement?.dockerPull).toMatch(/^nvcr.io/);
    });

    it('accepts records, enums, arrays and types declared by SchemaDefRequirement', () => {
      const task = validateCwl({
        cwlVersion: 'v1.2',
        class: 'CommandLineTool',
        requirements: {
          SchemaDefRequirement: {
            types: [{ name: 'Sample', type: 'record', fields: { id: 'string', reads: 'File[]' } }],
          },
        },
        inputs: {
          sample: '#Sample',
          mode: { type: { type: 'enum', symbols: ['fast', 'exact'] } },
          sizes: { type: { type: 'array', items: 'int' }, inputBinding: { prefix: '-s' } },
          extra: ['null', 'string', { type: 'array', items: 'File' }],
        },
        outputs: [],
        baseCommand: 'process',
      });
      expect(Object.keys(task.inputs)).toEqual(['sample', 'mode', 'sizes', 'extra']);
    });

    it('keeps $namespaces, $schemas and prefixed extension fields without fetching anything', () => {
      const fetch = vi.fn();
      vi.stubGlobal('fetch', fetch);
      const task = validateCwl({
        ...fixture('hello-world.cwl'),
        $namespaces: { edam: 'http://edamontology.org/' },
        $schemas: ['https://example.invalid/EDAM.owl'],
        'edam:topic': 'topic_0091',
      });
      expect(task.$schemas).toEqual(['https://example.invalid/EDAM.owl']);
      expect(fetch).not.toHaveBeenCalled();
    });

    it('does not modify the document it is given', () => {
      const document = deepFreeze(fixture('gpu-tool.cwl'));
      const before = JSON.stringify(document);
      validateCwl(document);
      expect(JSON.stringify(document)).toBe(before);
    });
  });

  describe('with an invalid document', () => {
    it('throws a 422 ValidationError with code cwl.invalid and the problems as detail', () => {
      const error = (() => {
        try {
          validateCwl(fixture('invalid/bad-input-type.cwl'));
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(CwlValidationError);
      expect(error).toBeInstanceOf(ValidationError);
      const { code, statusCode, message, detail } = error as CwlValidationError;
      expect({ code, statusCode }).toEqual({ code: 'cwl.invalid', statusCode: 422 });
      expect(message).toContain('inputs.message.type: unknown type "strin"');
      expect(detail).toMatchObject({ issues: [{ path: 'inputs.message.type' }] });
    });

    it('names a wrong class and suggests the right one', () => {
      const issues = issuesOf(() => validateCwl(fixture('invalid/wrong-class.cwl')));
      expect(messageAt(issues, 'class')).toMatch(
        /unknown class "CommandLinTool" \(did you mean "CommandLineTool"\?\)/,
      );
    });

    it('refuses an Operation, which cannot run', () => {
      const issues = issuesOf(() => validateCwl({ ...fixture('hello-world.cwl'), class: 'Operation' }));
      expect(messageAt(issues, 'class')).toMatch(/abstract/);
    });

    it('requires cwlVersion', () => {
      const issues = issuesOf(() => validateCwl(fixture('invalid/missing-version.cwl')));
      expect(messageAt(issues, 'cwlVersion')).toMatch(/^missing; muon accepts CWL v1.0, v1.1, v1.2/);
    });

    it('tells to run cwl-upgrader on a draft document', () => {
      const issues = issuesOf(() => validateCwl({ ...fixture('version-1.0.cwl'), cwlVersion: 'draft-3' }));
      expect(messageAt(issues, 'cwlVersion')).toMatch(/^draft-3 is not supported.*cwl-upgrader/);
    });

    it('names an unknown version and the close one', () => {
      const issues = issuesOf(() => validateCwl({ ...fixture('version-1.0.cwl'), cwlVersion: 'v1.3' }));
      expect(messageAt(issues, 'cwlVersion')).toMatch(
        /^unsupported version "v1.3".*accepts CWL v1.0, v1.1, v1.2/,
      );
    });

    it('names an unknown input type and suggests the closest', () => {
      const issues = issuesOf(() => validateCwl(fixture('invalid/bad-input-type.cwl')));
      expect(issues).toEqual([
        { path: 'inputs.message.type', message: 'unknown type "strin" (did you mean "string"?)' },
      ]);
    });

    it('names an unknown field at the top level', () => {
      const issues = issuesOf(() => validateCwl(fixture('invalid/unknown-field.cwl')));
      expect(issues).toEqual([
        { path: 'baseComand', message: 'unknown field (did you mean "baseCommand"?)' },
      ]);
    });

    it('refuses $include and $import instead of reading files', () => {
      const issues = issuesOf(() =>
        validateCwl({ ...fixture('hello-world.cwl'), baseCommand: { $include: 'file:///etc/passwd' } }),
      );
      expect(issues).toEqual([
        { path: 'baseCommand.$include', message: expect.stringMatching(/not supported/) },
      ]);
    });

    it('names dirac:Job hint fields that are unknown or out of range', () => {
      const issues = issuesOf(() => validateCwl(fixture('invalid/bad-hints.cwl')));
      expect(issues.map((issue) => issue.path)).toEqual([
        'hints.dirac:Job.priority',
        'hints.dirac:Job.cpuTime',
        'hints.dirac:Job.BannedSites',
      ]);
      expect(messageAt(issues, 'hints.dirac:Job.BannedSites')).toMatch(/"bannedSites"/);
    });

    it('lists every problem of the document at once', () => {
      const issues = issuesOf(() =>
        validateCwl({
          cwlVersion: 'v1.2',
          class: 'CommandLineTool',
          baseCommand: 'echo',
          inputs: [{ id: 'a', type: 'strin' }, { type: 'int' }],
          outputs: { out: { type: 'stdout', glob: 'x' } },
          requirements: [{ class: 'ResourceRequirement', coresMin: 4, coresMax: 2 }],
          stdout: 5,
        }),
      );
      expect(issues.map((issue) => issue.path)).toEqual(
        expect.arrayContaining([
          'inputs[1]',
          'inputs.a.type',
          'outputs.out.glob',
          'requirements.ResourceRequirement.coresMax',
          'stdout',
        ]),
      );
    });

    it('requires InlineJavascriptRequirement for JavaScript but not for parameter references', () => {
      const tool = {
        ...fixture('hello-world.cwl'),
        arguments: ['$(inputs.message)', '$(inputs.message.length + 1)'],
      };
      const issues = issuesOf(() => validateCwl(tool));
      expect(issues).toEqual([
        { path: 'arguments[1]', message: expect.stringMatching(/InlineJavascriptRequirement/) },
      ]);
      expect(() => validateCwl({ ...tool, requirements: { InlineJavascriptRequirement: {} } })).not.toThrow();
    });

    it('refuses requirements it cannot honour and an undeclared cwltool prefix', () => {
      const issues = issuesOf(() =>
        validateCwl({
          ...fixture('hello-world.cwl'),
          requirements: [
            { class: 'cwltool:CUDARequirement', cudaVersionMin: '11.4', cudaComputeCapability: '7.0' },
            { class: 'arv:RuntimeConstraints' },
          ],
        }),
      );
      expect(messageAt(issues, 'requirements.cwltool:CUDARequirement')).toMatch(
        /declare the "cwltool" prefix/,
      );
      expect(messageAt(issues, 'requirements.arv:RuntimeConstraints')).toMatch(/unsupported requirement/);
      expect(issues.find((issue) => issue.path === 'requirements.arv:RuntimeConstraints')?.code).toBe(
        'cwl.unsupported_requirement',
      );
    });

    it('allows stdin only among inputs and stdout only among outputs of a CommandLineTool', () => {
      const issues = issuesOf(() =>
        validateCwl({ ...fixture('hello-world.cwl'), inputs: { a: 'stdout' }, outputs: { b: 'stdin' } }),
      );
      expect(messageAt(issues, 'inputs.a.type')).toMatch(/unknown type "stdout"/);
      expect(messageAt(issues, 'outputs.b.type')).toMatch(/unknown type "stdin"/);
    });

    it('says what it got when the document is not a mapping', () => {
      expect(issuesOf(() => validateCwl('echo hello'))).toEqual([
        { path: '(document)', message: expect.stringMatching(/got the string "echo hello"/) },
      ]);
    });
  });

  // cwl-ts-auto is the schema-salad parser for TypeScript; it checks the structure only, but it is
  // generated from the CWL schema, so documents muon accepts must also load with it. It rejects
  // cwltool:CUDARequirement under requirements, which cwltool accepts, so gpu-tool.cwl is left out.
  describe('agrees with the schema-salad parser', () => {
    it.each(VALID.filter((name) => name !== 'gpu-tool.cwl'))('cwl-ts-auto loads %s as well', async (name) => {
      await expect(loadDocument(fixture(name), 'file:///submitted/')).resolves.toBeDefined();
    });
  });
});
