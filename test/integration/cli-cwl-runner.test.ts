/**
 * `muon cwl-runner` against the embedded runtime and a real pilot whose cwltool is a stand-in that
 * fails the way cwltool does: exit 33 (UnsupportedRequirement) and exit 1 (permanentFail). The
 * runner must turn them into its own exit codes and show cwltool's error lines.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCwl, UNSUPPORTED } from '#cli/commands/cwl-runner.ts';
import { payloadScratch } from '#test/integration/support/jobs.ts';
import { quickPilotConfig, type TestRuntime } from '#test/integration/support/runtime.ts';
import { type RuntimeWithPilot, startRuntimeWithPilot } from '#test/integration/support/runtime-pilot.ts';

const scratch = payloadScratch('muon-cli-cwl-runner-');

const write = (name: string, text: string, mode = 0o644) => {
  const path = join(scratch, name);
  writeFileSync(path, text, { mode });
  return path;
};

// The document is cwltool's second-to-last argument (`job.cwl` or `job.cwl#main`).
const fakeCwltool = write(
  'cwltool',
  `#!/bin/bash
doc="\${@: -2:1}"
if grep -q DockerRequirement "\${doc%%#*}"; then
  echo "INFO Resolved '\${doc}'" >&2
  echo "ERROR Workflow or tool uses unsupported feature:" >&2
  echo "DockerRequirement: --no-container, but this CommandLineTool has DockerRequirement under 'requirements'." >&2
  exit 33
fi
echo "ERROR Exception on step 'say'" >&2
echo "ERROR [job say] Job error: permanentFail" >&2
exit 1
`,
  0o755,
);

const tool = (requirements: string) =>
  write(
    `tool-${Math.random()}.cwl`,
    `cwlVersion: v1.2
class: CommandLineTool
${requirements}
baseCommand: echo
inputs: []
outputs: []
`,
  );

let runtime: TestRuntime;
let setup: RuntimeWithPilot | undefined;

beforeAll(async () => {
  const base = quickPilotConfig(2);
  const settings = { ...base, pilot: { ...base.pilot, cwltool: [fakeCwltool] } };
  setup = await startRuntimeWithPilot(settings, { cores: 2, scratch });
  runtime = setup.runtime;
}, 60_000);

afterAll(async () => {
  await setup?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function run(document: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCwl(
    { apiUrl: runtime.apiUrl, token: runtime.tokens.user },
    document,
    undefined,
    { outdir: join(scratch, 'out'), quiet: true, poll: 0.2, timeout: 60 },
    { write: (chunk: string) => out.push(chunk) > 0, isTTY: false } as never,
    { write: (chunk: string) => err.push(chunk) > 0, isTTY: false } as never,
  );
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('muon cwl-runner on a pilot', () => {
  it('exits 33 when cwltool on the pilot refuses a requirement, and names it', async () => {
    const { code, stdout, stderr } = await run(
      tool('requirements:\n  DockerRequirement: {dockerPull: "debian:12"}'),
    );
    expect(code).toBe(UNSUPPORTED);
    expect(stdout).toBe('');
    expect(stderr).toContain('ended Failed: Unsupported CWL requirement');
    expect(stderr).toMatch(/unsupported requirement on the pilot: DockerRequirement: --no-container/);
  }, 90_000);

  it('exits 1 when the job fails, with cwltool’s error lines', async () => {
    const { code, stderr } = await run(tool(''));
    expect(code).toBe(1);
    expect(stderr).toContain('ERROR [job say] Job error: permanentFail');
    expect(stderr).toContain('ended Failed: Application Finished With Errors');
  }, 90_000);
});
