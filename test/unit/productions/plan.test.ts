import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packCwl } from '#cli/cwl/pack.ts';
import { CwlValidationError } from '#shared/cwl/errors.ts';
import { checkMetadataTypes, ProductionInvalidError, planProduction } from '#shared/productions/plan.ts';

const example = () => packCwl('examples/production/production.cwl').document;
const exampleSteps = () =>
  parse(readFileSync('examples/production/steps.yaml', 'utf8')) as Record<string, unknown>;

/** A tool reading `File[]` (or nothing), writing `File[]`. */
const tool = (input?: string) => ({
  class: 'CommandLineTool',
  baseCommand: 'true',
  inputs: input ? { [input]: { type: 'File[]', inputBinding: { position: 1 } } } : {},
  outputs: { out: { type: 'File[]', outputBinding: { glob: '*.txt' } } },
});

/** A Workflow whose steps are `{id: source of its input, or undefined}`; the last one is output. */
function workflow(steps: Record<string, string | undefined>, extra: Record<string, unknown> = {}) {
  const ids = Object.keys(steps);
  return {
    cwlVersion: 'v1.2',
    class: 'Workflow',
    inputs: { data: 'File[]' },
    outputs: { result: { type: 'File[]', outputSource: `${ids[ids.length - 1]}/out` } },
    steps: Object.fromEntries(
      Object.entries(steps).map(([id, source]) => [
        id,
        { run: tool(source ? 'files' : undefined), in: source ? { files: source } : {}, out: ['out'] },
      ]),
    ),
    ...extra,
  };
}

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ProductionInvalidError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('expected the production to be refused');
}

describe('Production planning', () => {
  it('makes one transformation per top-level step, in flow order, each running its step', () => {
    const plan = planProduction(example(), exampleSteps(), 7);
    expect(plan.name).toBe('demo');
    expect(plan.steps.map((s) => [s.step, s.from])).toEqual([
      ['generate', []],
      ['process', ['generate']],
      ['merge', ['process']],
    ]);
    const [generate, process, merge] = plan.steps.map((s) => s.spec);
    expect(generate?.cwl).toMatchObject({ class: 'CommandLineTool', cwlVersion: 'v1.2', label: 'generate' });
    // A production runs without an input object: the workflow input's default goes to the tool.
    expect(generate?.cwl?.inputs).toMatchObject({ events: { type: 'int', default: 10 } });
    expect(generate).toMatchObject({ type: 'MCSimulation', tasks: 4, productionId: '7', step: 'generate' });
    expect(generate?.inputQuery).toBeUndefined();
    expect(process).toMatchObject({ type: 'DataProcessing', groupSize: 5, inputName: 'events' });
    expect(merge).toMatchObject({ type: 'DataProcessing', groupSize: 10, inputName: 'processed' });
  });

  it("derives a step's input query from the output metadata of the step before", () => {
    const [, process, merge] = planProduction(example(), exampleSteps(), 7).steps.map((s) => s.spec);
    expect(process?.outputMetadata).toEqual({
      productionId: 7,
      productionStep: 'process',
      campaign: 'demo',
      datatype: 'PROCESSED',
    });
    expect(merge?.inputQuery).toEqual([
      { key: 'productionId', op: '=', values: [7] },
      { key: 'productionStep', op: '=', values: ['process'] },
      { key: 'campaign', op: '=', values: ['demo'] },
      { key: 'datatype', op: '=', values: ['PROCESSED'] },
    ]);
  });

  it('adds the conditions a later step asks for, and a first step queries the catalog', () => {
    const plan = planProduction(
      workflow({ reco: 'data', merge: 'reco/out' }),
      {
        reco: { input_query: 'datatype=RAW run=100..200', output_metadata: { datatype: 'RECO', quality: 3 } },
        merge: { input_query: 'quality>=2', group_size: 20 },
      },
      1,
    );
    const [reco, merge] = plan.steps.map((s) => s.spec);
    expect(reco?.inputQuery).toEqual([
      { key: 'datatype', op: '=', values: ['RAW'] },
      { key: 'run', op: 'range', values: [100, 200] },
    ]);
    expect(reco?.inputName).toBe('files');
    expect(merge?.inputQuery?.at(-1)).toEqual({ key: 'quality', op: '>=', values: [2] });
  });

  it("reads dirac-cwl's steps metadata: execution-hooks group_size per input, scheduling as job hints", () => {
    const plan = planProduction(
      workflow({ gen: undefined, proc: 'gen/out' }),
      {
        gen: { tasks: 3 },
        proc: {
          'execution-hooks': { group_size: { files: 4 } },
          scheduling: { priority: 3, sites: ['LCG.CERN.cern'] },
        },
      },
      1,
    );
    expect(plan.steps[1]?.spec).toMatchObject({
      groupSize: 4,
      hints: { priority: 3, sites: ['LCG.CERN.cern'] },
    });
  });

  it('carries requirements from the Workflow and the step into the tool, the most specific winning', () => {
    const wf = workflow(
      { gen: undefined, proc: 'gen/out' },
      { requirements: { ResourceRequirement: { coresMin: 1 }, SubworkflowFeatureRequirement: {} } },
    );
    (wf.steps.proc as Record<string, unknown>).requirements = { ResourceRequirement: { coresMin: 2 } };
    const [gen, proc] = planProduction(wf, { gen: { tasks: 1 } }, 1).steps.map((s) => s.spec.cwl);
    expect(gen?.requirements).toEqual({ ResourceRequirement: { coresMin: 1 } });
    expect(proc?.requirements).toEqual({ ResourceRequirement: { coresMin: 2 } });
  });

  describe('refuses, before anything is created', () => {
    it('an unknown step name in the steps metadata, naming the steps there are', () => {
      expect(
        problems(() => planProduction(example(), { ...exampleSteps(), reconstruct: { group_size: 2 } }, 1)),
      ).toEqual([
        'steps.reconstruct: the Workflow has no step "reconstruct"; its steps are generate, process, merge',
      ]);
    });

    it('a group size of 0', () => {
      const steps = { ...exampleSteps(), process: { group_size: 0 } };
      expect(problems(() => planProduction(example(), steps, 1)).join('\n')).toMatch(
        /steps\.process\.groupSize: the group size is at least 1/,
      );
    });

    it('an invalid query, with what the catalog says to fix', () => {
      const steps = { gen: { tasks: 1 }, proc: { input_query: 'quality 2' } };
      expect(
        problems(() => planProduction(workflow({ gen: undefined, proc: 'gen/out' }), steps, 1))[0],
      ).toMatch(
        /^steps\.proc\.inputQuery: The metadata query "quality 2" is invalid: after "quality" comes an operator/,
      );
    });

    it('an output metadata value of the wrong type, and a key muon reserves', () => {
      const steps = { gen: { tasks: 1, output_metadata: { tags: ['a', 'b'], productionStep: 'x' } } };
      const found = problems(() => planProduction(workflow({ gen: undefined }), steps, 1)).join('\n');
      expect(found).toMatch(/steps\.gen\.outputMetadata\.tags: /);
      const reserved = { gen: { tasks: 1, output_metadata: { productionStep: 'x' } } };
      expect(problems(() => planProduction(workflow({ gen: undefined }), reserved, 1))).toEqual([
        'steps.gen.outputMetadata.productionStep: productionStep is set by muon; choose another name',
      ]);
    });

    it("metadata that does not fit the catalog's types, or takes two types across steps", () => {
      const plan = planProduction(
        workflow({ gen: undefined, proc: 'gen/out' }),
        {
          gen: { tasks: 1, output_metadata: { run: 7, energy: 'high' } },
          proc: { output_metadata: { run: 'x' } },
        },
        1,
      );
      expect(problems(() => checkMetadataTypes(plan, new Map([['energy', 'float']])))).toEqual([
        'steps.gen.outputMetadata.energy: energy is a float in the catalog; "high" is not',
        'steps.proc.outputMetadata.run: run is an integer from an earlier step; "x" is not',
        // proc's derived query asks for gen's energy=high, which the key's type cannot hold either.
        'steps.proc.inputQuery: energy is a float; "high" is not',
      ]);
    });

    it("a step whose input query the earlier step's output metadata cannot satisfy", () => {
      const steps = {
        gen: { tasks: 1, output_metadata: { datatype: 'RAW' } },
        proc: { input_query: 'datatype=RECO' },
      };
      expect(problems(() => planProduction(workflow({ gen: undefined, proc: 'gen/out' }), steps, 1))).toEqual(
        [
          'steps.proc.inputQuery: no file of gen can match "datatype=RECO": its outputs carry productionId=1 productionStep=gen datatype=RAW',
        ],
      );
    });

    it('a first step with neither an input query nor tasks', () => {
      expect(problems(() => planProduction(workflow({ gen: undefined }), {}, 1))[0]).toMatch(
        /^steps\.gen: the step takes no earlier step's outputs: give it input_query/,
      );
    });

    it('a cycle: a step whose query matches its own outputs', () => {
      const steps = { reco: { input_query: 'campaign=demo', output_metadata: { campaign: 'demo' } } };
      expect(problems(() => planProduction(workflow({ reco: 'data' }), steps, 1))).toEqual([
        'steps.reco: the steps form a cycle, reco → reco: each takes the outputs of the one before, so files would flow forever',
      ]);
    });

    it('a cycle through two steps, naming both', () => {
      const steps = {
        reco: { input_query: 'campaign=demo', output_metadata: { datatype: 'RECO' } },
        merge: { output_metadata: { campaign: 'demo' } },
      };
      const found = problems(() => planProduction(workflow({ reco: 'data', merge: 'reco/out' }), steps, 1));
      expect(found).toContain(
        'steps.reco: the steps form a cycle, reco → merge → reco: each takes the outputs of the one before, so files would flow forever',
      );
    });

    it('a query that would also take the outputs of a step the Workflow does not link to it', () => {
      const steps = {
        gen: { tasks: 1, output_metadata: { datatype: 'RAW' } },
        other: { input_query: 'datatype=RAW' },
      };
      const wf = workflow({ gen: undefined, other: 'data' });
      expect(problems(() => planProduction(wf, steps, 1))).toEqual([
        'steps.other.inputQuery: "datatype=RAW" also matches the outputs of gen, which the Workflow does not link to other: add a condition that tells them apart',
      ]);
    });

    it('a step whose outputs no later step takes, unless it is the last', () => {
      const wf = workflow({ gen: undefined, side: 'gen/out', proc: 'gen/out' });
      expect(problems(() => planProduction(wf, { gen: { tasks: 1 } }, 1))).toEqual([
        "steps.side: no later step takes this step's outputs and the Workflow does not output them: link a step to it, or remove it",
      ]);
    });

    it('a CommandLineTool, which is a transformation rather than a production', () => {
      expect(problems(() => planProduction({ cwlVersion: 'v1.2', ...tool() }, {}, 1))[0]).toMatch(
        /a production is a CWL Workflow whose steps become transformations; this is a CommandLineTool/,
      );
    });

    it('a scattered step, and a required input whose workflow input has no default', () => {
      const wf = workflow(
        { gen: undefined, proc: 'gen/out' },
        { requirements: { ScatterFeatureRequirement: {} } },
      );
      (wf.inputs as Record<string, unknown>).seed = 'int';
      (wf.steps.proc as Record<string, unknown>).scatter = 'files';
      const gen = wf.steps.gen as { run: { inputs: Record<string, unknown> }; in: Record<string, unknown> };
      gen.run.inputs.seed = { type: 'int' };
      gen.in.seed = 'seed';
      const found = problems(() => planProduction(wf, { gen: { tasks: 1 } }, 1));
      expect(found.join('\n')).toMatch(/workflow\.steps\.proc\.scatter: a production step is not scattered/);
      expect(found.join('\n')).toMatch(/workflow\.steps\.gen\.in\.seed: nothing gives this input a value/);
    });

    it('an invalid CWL document, with the validator’s message', () => {
      expect(() => planProduction({ cwlVersion: 'v1.2', class: 'Workflow', inputs: {} }, {}, 1)).toThrow(
        CwlValidationError,
      );
    });
  });
});
