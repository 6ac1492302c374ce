import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorLines, runCwl, UNSUPPORTED } from '#cli/commands/cwl-runner.ts';

const dir = mkdtempSync(join(tmpdir(), 'muon-cwl-runner-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const tool = (extra: string, version = 'v1.2') => `cwlVersion: ${version}
class: CommandLineTool
$namespaces: {ex: "http://example.com/"}
baseCommand: echo
inputs:
  message: {type: string, inputBinding: {position: 1}}
outputs: []
${extra}`;

/** Runs the runner on documents it refuses before reaching any API; returns its exit code and stderr. */
async function refused(document: string, inputs = 'message: hi\n') {
  const err: string[] = [];
  const capture = { write: (chunk: string) => err.push(chunk) > 0, isTTY: false } as never;
  const code = await runCwl(
    { apiUrl: 'http://127.0.0.1:9', token: 'unused' },
    file(`tool-${Math.random()}.cwl`, document),
    file(`job-${Math.random()}.yaml`, inputs),
    { quiet: true },
    capture,
    capture,
  );
  return { code, stderr: err.join('') };
}

describe('muon cwl-runner exit codes', () => {
  it('exits 33 for a requirement muon does not run, and names it', async () => {
    const { code, stderr } = await refused(tool('requirements:\n  - class: ex:Frobnicate\n'));
    expect(code).toBe(UNSUPPORTED);
    expect(stderr).toContain('unsupported requirement: ex:Frobnicate');
  });

  it('names the requirement of a step', async () => {
    const workflow = `cwlVersion: v1.2
class: Workflow
$namespaces: {ex: "http://example.com/"}
inputs: {message: string}
outputs: []
steps:
  say:
    in: {message: message}
    out: []
    run:
      class: CommandLineTool
      requirements: [{class: ex:Teleport}]
      baseCommand: echo
      inputs: {message: string}
      outputs: []
`;
    const { code, stderr } = await refused(workflow);
    expect(code).toBe(UNSUPPORTED);
    expect(stderr).toContain('unsupported requirement: ex:Teleport');
  });

  it('exits 1 when the document has other problems besides an unsupported requirement', async () => {
    const { code } = await refused(
      tool('requirements:\n  - class: ex:Frobnicate\nstdout: [not, a, string]\n'),
    );
    expect(code).toBe(1);
  });

  it('exits 1, not 33, for a CWL version muon does not read: it is not a requirement', async () => {
    const { code, stderr } = await refused(tool('', 'draft-3'));
    expect(code).toBe(1);
    expect(stderr).toContain('draft-3');
  });

  it('exits 1 for an $import of a file that does not exist', async () => {
    const { code, stderr } = await refused(tool('requirements:\n  - $import: elsewhere.yml\n'));
    expect(code).toBe(1);
    expect(stderr).toContain('$import');
  });

  it('exits 1 for an input object that does not fit the tool', async () => {
    const { code } = await refused(tool(''), 'message: [1, 2]\n');
    expect(code).toBe(1);
  });

  it('ignores an unknown requirement under hints, as cwltool does', async () => {
    // Accepted locally, so the runner goes on to the (unreachable) API and fails there.
    await expect(refused(tool('hints:\n  - class: ex:Frobnicate\n'))).rejects.toThrow(/Cannot reach/);
  });
});

describe('a failed job’s error lines', () => {
  it('start at cwltool’s last ERROR line', () => {
    const text = [
      'INFO Resolved job.cwl',
      'ERROR first problem',
      'INFO more',
      'ERROR Workflow or tool uses unsupported feature:',
      "DockerRequirement: --no-container, but this CommandLineTool has DockerRequirement under 'requirements'.",
      '',
    ].join('\n');
    expect(errorLines(text, 5)).toEqual([
      'ERROR Workflow or tool uses unsupported feature:',
      "DockerRequirement: --no-container, but this CommandLineTool has DockerRequirement under 'requirements'.",
    ]);
  });

  it('keep the end of a long traceback, where the exception is', () => {
    const traceback = [
      'ERROR Exception while running job',
      'Traceback:',
      ...'abcdefgh',
      'FileNotFoundError: python',
    ];
    expect(errorLines(traceback.join('\n'), 6)).toEqual([
      'ERROR Exception while running job',
      'Traceback:',
      '...',
      'g',
      'h',
      'FileNotFoundError: python',
    ]);
  });

  it('are the last lines when nothing is marked ERROR', () => {
    expect(errorLines('a\nb\nc\n', 2)).toEqual(['b', 'c']);
  });
});
