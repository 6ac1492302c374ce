import { describe, expect, it } from 'vitest';
import { extractRequirements, validateCwl } from '#shared/cwl/index.ts';
import { fixture } from './fixtures.ts';

const tool = (extra: Record<string, unknown>) => validateCwl({ ...fixture('hello-world.cwl'), ...extra });

describe('extractRequirements', () => {
  it('uses the CWL defaults when a task says nothing', () => {
    expect(extractRequirements(validateCwl(fixture('hello-world.cwl')))).toEqual({
      cores: 1,
      ramMb: 256,
      gpu: false,
      gpuCount: 0,
      docker: false,
      dockerImages: [],
      unresolved: [],
    });
  });

  it('reads cores, memory, GPUs and the container from requirements and hints', () => {
    expect(extractRequirements(validateCwl(fixture('gpu-tool.cwl')))).toEqual({
      cores: 4,
      coresMax: 8,
      ramMb: 8192,
      gpu: true,
      gpuCount: 2,
      docker: true,
      dockerImages: ['nvcr.io/nvidia/cuda:12.2.0-base-ubuntu22.04'],
      unresolved: [],
    });
  });

  it('recognises CUDARequirement written as the expanded IRI, with one device by default', () => {
    const resources = extractRequirements(
      tool({
        hints: [
          {
            class: 'http://commonwl.org/cwltool#CUDARequirement',
            cudaVersionMin: '11.4',
            cudaComputeCapability: ['7.0', '8.0'],
          },
        ],
      }),
    );
    expect(resources).toMatchObject({ gpu: true, gpuCount: 1 });
  });

  it('takes the largest request among a workflow and its steps', () => {
    const workflow = fixture('two-step-workflow.cwl') as { steps: { echo: Record<string, unknown> } };
    workflow.steps.echo.requirements = { ResourceRequirement: { ramMin: 1024, coresMax: 1 } };
    const resources = extractRequirements(validateCwl(workflow));
    expect(resources).toMatchObject({ cores: 2, coresMax: 2, ramMb: 1024 });
  });

  it('rounds fractional cores and memory up, and honours a request below the default', () => {
    const resources = extractRequirements(
      tool({ requirements: { ResourceRequirement: { coresMin: 2.5, ramMin: 100.2 } } }),
    );
    expect(resources).toMatchObject({ cores: 3, ramMb: 101 });
  });

  it('takes a max given alone as the min too, as CWL says', () => {
    const resources = extractRequirements(tool({ requirements: { ResourceRequirement: { coresMax: 6 } } }));
    expect(resources).toMatchObject({ cores: 6, coresMax: 6 });
  });

  it('prefers a requirement to a hint of the same class in one process', () => {
    const resources = extractRequirements(
      tool({
        requirements: { ResourceRequirement: { coresMin: 2 } },
        hints: { ResourceRequirement: { coresMin: 16 } },
      }),
    );
    expect(resources.cores).toBe(2);
  });

  it('lets a workflow requirement reach its tools and override their hints', () => {
    const workflow = fixture('two-step-workflow.cwl') as Record<string, unknown> & {
      steps: { echo: { run: object } };
    };
    workflow.requirements = { ResourceRequirement: { coresMin: 8 } };
    workflow.steps.echo.run = { ...workflow.steps.echo.run, hints: { ResourceRequirement: { coresMin: 1 } } };
    // echo's hint yields to the workflow's requirement (8); count's own coresMin (2) beats the workflow's.
    expect(extractRequirements(validateCwl(workflow)).cores).toBe(8);
  });

  it("lets a tool's own requirement win over the workflow's", () => {
    const workflow = fixture('two-step-workflow.cwl') as Record<string, unknown> & {
      steps: { echo: { run: object } };
    };
    workflow.requirements = { ResourceRequirement: { ramMin: 4096 } };
    workflow.steps.echo.run = {
      ...workflow.steps.echo.run,
      requirements: { ResourceRequirement: { ramMin: 128 } },
    };
    // echo asks 128 and count 512 themselves; the workflow's 4096 applies to neither.
    expect(extractRequirements(validateCwl(workflow)).ramMb).toBe(512);
  });

  it('uses the default for an expression and reports where it was', () => {
    const resources = extractRequirements(validateCwl(fixture('dirac-hints-tool.cwl')));
    expect(resources.cores).toBe(1);
    expect(resources.ramMb).toBe(2048);
    expect(resources.unresolved).toEqual([
      { path: 'requirements.ResourceRequirement.coresMin', expression: '$(inputs.threads)', assumed: 1 },
    ]);
  });
});
