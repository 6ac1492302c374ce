/**
 * `npm run conformance` (scripts/conformance.mjs) with a stand-in runner: the `muon local` it
 * starts is stopped and its temporary home removed however the run ends.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const scratch = mkdtempSync(join(tmpdir(), 'muon-cli-conformance-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const suite = join(scratch, 'suite');
mkdirSync(suite);
writeFileSync(join(suite, 'conformance_tests.yaml'), '[]\n');

/** Runs the script with its temporary files in a directory of their own; `during` acts on the child. */
function conformance(runner: string, during?: (child: ReturnType<typeof spawn>) => void) {
  const runnerFile = join(scratch, `${runner.length}-runner.py`);
  writeFileSync(runnerFile, runner);
  const temp = mkdtempSync(join(scratch, 'tmp-'));
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: temp };
  delete env.MUON_API_URL;
  const child = spawn(
    process.execPath,
    [resolve('scripts/conformance.mjs'), '--suite', suite, '--runner', runnerFile],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  during?.(child);
  return new Promise<{ code: number | null; stderr: string; left: string[] }>((done) => {
    child.once('exit', (code) => done({ code, stderr, left: readdirSync(temp) }));
  });
}

describe('npm run conformance', () => {
  it('stops the runtime it started and removes its home when the runner cannot run the suite', async () => {
    const { code, stderr, left } = await conformance('import sys\nsys.exit(3)\n');
    expect(stderr).toMatch(/muon local is up at/);
    expect(stderr).toMatch(/conformance: the conformance runner exited 3/);
    expect(code).toBe(2);
    expect(left.filter((name) => name.startsWith('muon-conformance-home-'))).toEqual([]);
  });

  it('stops a runtime still starting when interrupted, without another error', async () => {
    const { code, stderr, left } = await conformance('import sys\nsys.exit(0)\n', (child) => {
      setTimeout(() => child.kill('SIGINT'), 300);
    });
    expect(stderr).toMatch(/conformance: stopped while muon local was starting/);
    expect(stderr).not.toMatch(/ENOENT/);
    expect(code).toBe(2);
    expect(left.filter((name) => name.startsWith('muon-conformance-home-'))).toEqual([]);
  });
});
