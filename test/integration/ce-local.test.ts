import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
    const [reference] = await ce.submitPilots(
      1,
      shellPilot('echo "$MUON_PILOT_REFERENCE $MUON_TOKEN"; sleep 3', { MUON_TOKEN: 't0k' }),
    );
    if (!reference) throw new Error('no reference');
    started.push(reference);
    expect(reference).toMatch(/^local:\/\/node1\/\d+$/);
    expect((await ce.status([reference])).get(reference)).toBe('Running');

    const seen = await waitForStates(ce, [reference], ['Done']);
    expect(seen.get(reference)).toEqual(['Running', 'Done']);
    expect(readFileSync(join(workDir, pidOf(reference), 'pilot.log'), 'utf8')).toBe(`${reference} t0k\n`);
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
