import { describe, expect, it } from 'vitest';
import { validateCwl, type Workflow } from '#shared/cwl/index.ts';
import { fixture, issuesOf, messageAt } from './fixtures.ts';

describe('validateCwl on workflows', () => {
  describe('with a valid workflow', () => {
    it('expands shorthand parameters and step inputs', () => {
      const task = validateCwl(fixture('two-step-workflow.cwl')) as Workflow;
      expect(task.inputs.message).toEqual({ type: 'string' });
      expect(task.steps.count?.in.file).toEqual({ source: 'echo/text' });
      expect(task.steps.count?.run.class).toBe('CommandLineTool');
    });

    it('unpacks a $graph document from #main and resolves run references', () => {
      const task = validateCwl(fixture('packed-workflow.cwl')) as Workflow;
      expect(task.class).toBe('Workflow');
      expect(task.cwlVersion).toBe('v1.2');
      expect(task.outputs.out?.outputSource).toBe('say/text');
      expect(task.steps.say?.in.message).toEqual({ source: 'message' });
      expect(task.steps.say?.out).toEqual(['text']);
      expect(task.steps.say?.run.inputs.message?.type).toBe('string');
    });
  });

  describe('with a broken workflow', () => {
    it("checks a step's run by its own older cwlVersion", () => {
      const workflow = fixture('two-step-workflow.cwl') as { steps: { count: { run: object } } };
      workflow.steps.count.run = { ...workflow.steps.count.run, cwlVersion: 'v1.0' };
      expect(() => validateCwl(workflow)).not.toThrow();
      const run = { ...workflow.steps.count.run, requirements: { ResourceRequirement: { coresMin: 0.5 } } };
      workflow.steps.count.run = run;
      const issues = issuesOf(() => validateCwl(workflow));
      expect(messageAt(issues, 'steps.count.run.requirements.ResourceRequirement.coresMin')).toMatch(
        /fractional value is CWL v1.2 and later; this document is v1.0/,
      );
    });

    it('names an unknown cwlVersion inside a step', () => {
      const workflow = fixture('two-step-workflow.cwl') as { steps: { echo: { run: object } } };
      workflow.steps.echo.run = { ...workflow.steps.echo.run, cwlVersion: 'draft-2' };
      const issues = issuesOf(() => validateCwl(workflow));
      expect(messageAt(issues, 'steps.echo.run.cwlVersion')).toMatch(/cwl-upgrader/);
    });

    it('checks the processes of a $graph that #main does not run, as cwltool does', () => {
      const packed = fixture('packed-workflow.cwl') as { $graph: Record<string, unknown>[] };
      packed.$graph.push({
        id: '#spare',
        class: 'CommandLineTool',
        baseCommand: 'true',
        inputs: { n: 'integer' },
        outputs: {},
      });
      const issues = issuesOf(() => validateCwl(packed));
      expect(messageAt(issues, '$graph.spare.inputs.n.type')).toMatch(/unknown type "integer"/);
    });

    it('names a workflow step without run', () => {
      const issues = issuesOf(() => validateCwl(fixture('invalid/step-without-run.cwl')));
      expect(messageAt(issues, 'steps.echo.run')).toBe('missing required field');
    });

    it('names a step input and a workflow output wired to sources that do not exist', () => {
      const issues = issuesOf(() => validateCwl(fixture('invalid/unknown-source.cwl')));
      expect(messageAt(issues, 'steps.echo.in.message.source')).toMatch(
        /unknown source "mesage".*did you mean "message"/,
      );
      expect(messageAt(issues, 'outputs.text.outputSource')).toMatch(/step "echo" has no output "txt"/);
    });

    it('refuses a run that points outside the document, since nothing is fetched', () => {
      const issues = issuesOf(() => validateCwl(fixture('invalid/external-run.cwl')));
      expect(messageAt(issues, 'steps.echo.run')).toMatch(/cannot resolve "echo.cwl".*cwltool --pack/);
    });

    it('finds steps that depend on each other in a cycle', () => {
      const issues = issuesOf(() => validateCwl(fixture('invalid/step-cycle.cwl')));
      expect(messageAt(issues, 'steps')).toMatch(/a → b → a/);
    });

    it('requires the feature requirements of scatter, several sources and valueFrom', () => {
      const workflow = fixture('two-step-workflow.cwl') as { steps: { count: Record<string, unknown> } };
      workflow.steps.count.in = { file: { source: ['echo/text', 'echo/text'], valueFrom: '$(self[0])' } };
      workflow.steps.count.scatter = 'file';
      const issues = issuesOf(() => validateCwl(workflow));
      expect(issues.map((issue) => issue.message)).toEqual([
        expect.stringMatching(/MultipleInputFeatureRequirement/),
        expect.stringMatching(/StepInputExpressionRequirement/),
        expect.stringMatching(/ScatterFeatureRequirement/),
      ]);
    });

    it('names a required input of a step run that nothing connects, and outputs the run lacks', () => {
      const workflow = fixture('two-step-workflow.cwl') as { steps: { count: Record<string, unknown> } };
      workflow.steps.count.in = {};
      workflow.steps.count.out = ['counted', 'lines'];
      const issues = issuesOf(() => validateCwl(workflow));
      expect(messageAt(issues, 'steps.count.in')).toMatch(/required input "file" is not connected/);
      expect(messageAt(issues, 'steps.count.out[1]')).toMatch(/"lines" is not an output/);
    });

    it('names a wrong class of a step run and a wrong kind of type schema', () => {
      const workflow = fixture('two-step-workflow.cwl') as { steps: { echo: { run: object } } };
      workflow.steps.echo.run = { ...workflow.steps.echo.run, class: 'CommandLinTool' };
      const issues = issuesOf(() =>
        validateCwl({ ...workflow, inputs: { message: { type: { type: 'arrays', items: 'string' } } } }),
      );
      expect(messageAt(issues, 'steps.echo.run.class')).toMatch(
        /unknown value "CommandLinTool" \(did you mean "CommandLineTool"/,
      );
      expect(messageAt(issues, 'inputs.message.type.type')).toMatch(
        /unknown value "arrays".*expected array, enum, record/,
      );
    });

    it('needs #main in a $graph with several processes, and run references that exist', () => {
      const packed = fixture('packed-workflow.cwl') as {
        $graph: { id: string; steps?: { run: string }[] }[];
      };
      const [tool, main] = packed.$graph;
      expect(issuesOf(() => validateCwl({ ...packed, $graph: [tool, { ...main, id: '#top' }] }))).toEqual([
        { path: '$graph', message: 'no process with id "#main"' },
      ]);
      const step = main?.steps?.[0];
      if (step) step.run = '#missing.cwl';
      const issues = issuesOf(() => validateCwl(packed));
      expect(messageAt(issues, '$graph.main.steps.say.run')).toMatch(
        /cannot resolve "#missing.cwl": no process with that id/,
      );
    });

    it('prefixes paths with the $graph entry in a packed document', () => {
      const packed = fixture('packed-workflow.cwl') as { $graph: Record<string, unknown>[] };
      const main = packed.$graph[1] as { inputs: { type: string }[] };
      main.inputs = [{ ...main.inputs[0], type: 'strng' } as { type: string }];
      const issues = issuesOf(() => validateCwl(packed));
      expect(issues.map((issue) => issue.path)).toEqual(['$graph.main.inputs.message.type']);
    });
  });
});
