import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ComputingElement, createComputingElement } from '#shared/ce/index.ts';
import {
  computingElementConfig,
  shellPilot,
  waitForStates,
} from '#test/integration/support/computing-elements.ts';

const home = mkdtempSync(join(tmpdir(), 'muon-ce-local-'));
const workDir = join(home, 'pilots');
const config = computingElementConfig({
  type: 'Local',
  maxPilots: 2,
  settings: { workDir, command: ['sh', '-c'] },
});
const deps = { home, env: process.env, hostname: 'node1' };
const localCE = (): ComputingElement => createComputingElement('LOCAL.test.org', 'local1', config, deps);
const started: string[] = [];

afterAll(async () => {
  await localCE().cancel(started);
  rmSync(home, { recursive: true, force: true });
});

const pidOf = (reference: string) => reference.slice(reference.lastIndexOf('/') + 1);

describe('Local computing element', () => {
  it('runs a pilot as a detached process that knows its reference: Running, then Done', async () => {
    const ce = localCE();
    const [reference] = await ce.submitPilots(1, shellPilot('echo "$MUON_PILOT_REFERENCE"; sleep 3'));
    if (!reference) throw new Error('no reference');
    started.push(reference);
    expect(reference).toMatch(/^local:\/\/node1\/\d+$/);
    expect((await ce.status([reference])).get(reference)).toBe('Running');

    const seen = await waitForStates(ce, [reference], ['Done']);
    expect(seen.get(reference)).toEqual(['Running', 'Done']);
    expect(readFileSync(join(workDir, pidOf(reference), 'pilot.log'), 'utf8')).toBe(`${reference}\n`);
  });

  it('hands the pilot its credentials in a 0600 file, never in its argv or environment', async () => {
    // The launcher's own credential variables are not passed on either.
    const leaky = { ...deps, env: { ...process.env, MUON_TOKEN: 'launcher-token', MUON_CLIENT_SECRET: 'x' } };
    const ce = createComputingElement('LOCAL.test.org', 'local1', config, leaky);
    const look = [
      'f=$2',
      'echo "$1 $(stat -c %a "$f") $(stat -c %a "$(dirname "$f")") $(cat "$f")"',
      // The token is spelt in two halves: this script is in the pilot's cmdline itself.
      't=t0',
      `tr '\\0' '\\n' </proc/$$/environ | grep -c -e "\${t}k" -e launcher-token -e MUON_CLIENT_SECRET`,
      `tr '\\0' '\\n' </proc/$$/cmdline | grep -c "\${t}k"`,
      'sleep 1',
    ].join('; ');
    const [reference] = await ce.submitPilots(1, { ...shellPilot(look), credentials: { token: 't0k' } });
    if (!reference) throw new Error('no reference');
    started.push(reference);
    await waitForStates(ce, [reference], ['Done', 'Failed']);
    const [said, environ, cmdline] = readFileSync(join(workDir, pidOf(reference), 'pilot.log'), 'utf8')
      .trim()
      .split('\n');
    expect(said).toBe('--credentials-file 600 700 {"token":"t0k"}');
    expect([environ, cmdline]).toEqual(['0', '0']);
    // The pilot deletes the file once read; the wrapper deletes it anyway when the pilot ends.
    expect(readdirSync(join(workDir, 'credentials'))).toEqual([]);
    expect(statSync(join(workDir, pidOf(reference))).mode & 0o777).toBe(0o700);
  });

  it("passes none of the launcher's AWS credentials to the pilot", async () => {
    const launcher = {
      ...deps,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'AKIA',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 's',
      },
    };
    const ce = createComputingElement('LOCAL.test.org', 'local1', config, launcher);
    const look = `tr '\\0' '\\n' </proc/$$/environ | grep -c -e ^AWS_SECRET_ACCESS_KEY= -e ^AWS_ACCESS_KEY_ID= -e ^AWS_SESSION_TOKEN=`;
    const [reference] = await ce.submitPilots(1, shellPilot(look));
    if (!reference) throw new Error('no reference');
    started.push(reference);
    await waitForStates(ce, [reference], ['Done', 'Failed']);
    expect(readFileSync(join(workDir, pidOf(reference), 'pilot.log'), 'utf8')).toBe('0\n');
  });

  it('refuses a credential variable in a spec’s environment', async () => {
    await expect(localCE().submitPilots(1, shellPilot('true', { MUON_TOKEN: 't0k' }))).rejects.toThrow(
      /MUON_TOKEN may not be in a pilot's environment/,
    );
  });

  it('reports a pilot that exits non-zero as Failed', async () => {
    const ce = localCE();
    const references = await ce.submitPilots(1, shellPilot('exit 3'));
    started.push(...references);
    await waitForStates(ce, references, ['Failed']);
  });

  it('cancels a pilot with SIGTERM: Aborted', async () => {
    const ce = localCE();
    const references = await ce.submitPilots(1, shellPilot('sleep 30'));
    started.push(...references);
    await waitForStates(ce, references, ['Running']);
    const before = Date.now();
    await ce.cancel(references);
    await waitForStates(ce, references, ['Aborted'], 5_000);
    expect(Date.now() - before).toBeLessThan(4_000);
  });

  it('counts running pilots from their directories, so a new instance sees what an old one started', async () => {
    const references = await localCE().submitPilots(2, shellPilot('sleep 30'));
    started.push(...references);
    const fresh = localCE();
    expect(await fresh.available()).toEqual({ running: 2, waiting: 0, slots: 0 });
    expect([...(await fresh.status(references)).values()]).toEqual(['Running', 'Running']);

    await fresh.cancel(references.slice(0, 1));
    await waitForStates(fresh, references.slice(0, 1), ['Aborted']);
    expect(await fresh.available()).toEqual({ running: 1, waiting: 0, slots: 1 });
    await fresh.cancel(references);
  });

  it('knows nothing of references of another host or of no pilot', async () => {
    const states = await localCE().status(['local://elsewhere/1', 'local://node1/999999999', 'slurm://c/1']);
    expect([...states.values()]).toEqual(['Unknown', 'Unknown', 'Unknown']);
  });
});
